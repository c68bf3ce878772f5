// Loads the tokenizer files of an `lnfree export --tokenizer` directory with
// Hugging Face's tokenizers.js (npm @huggingface/tokenizers, the tokenizer of
// transformers.js: it reads tokenizer.json and tokenizer_config.json as
// transformers' AutoTokenizer does) and checks that it encodes every string of
// golden/tokenizer/cases.json to the ids gpt-3-encoder gave them, and decodes
// them back.
//
//   node golden/check_hf_tokenizer.js EXPORT_DIR
//
// The package is read from the fetch-data cache ($LNFREE_CACHE, else
// ~/.cache/lnfree). Left out, and counted: cases whose text holds U+0085 or
// U+FEFF, where GPT-2's \s (Python regex: Unicode White_Space) and the regex
// engines of gpt-3-encoder and tokenizers.js disagree (cases.json); and cases
// holding "<|endoftext|>", which Hugging Face tokenizers read as the special
// token (as transformers does) where encoder.py sees text. That mapping is
// checked on its own.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const cache = process.env.LNFREE_CACHE || path.join(os.homedir(), '.cache', 'lnfree');
const pkgDir = path.join(cache, 'hf-tokenizers');
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf-8'));
if (pkg.version !== '0.2.0') {
  throw new Error(`${pkgDir}: @huggingface/tokenizers ${pkg.version}, expected 0.2.0`);
}
const { Tokenizer } = require(path.join(pkgDir, 'dist', 'tokenizers.cjs'));

const dir = process.argv[2];
const read = (name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf-8'));
const tok = new Tokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
const cases = JSON.parse(fs.readFileSync(path.join(__dirname, 'tokenizer', 'cases.json'), 'utf-8')).cases;

let checked = 0, skipped = 0;
const failures = [];
for (const c of cases) {
  if (/[\u0085\ufeff]/.test(c.text) || c.text.includes('<|endoftext|>')) {
    skipped++;
    continue;
  }
  const want = c.gpt2_ids || c.ids;
  const got = tok.encode(c.text, { add_special_tokens: false }).ids;
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    failures.push(`encode ${JSON.stringify(c.text).slice(0, 60)}: got ${JSON.stringify(got).slice(0, 80)}, want ${JSON.stringify(want).slice(0, 80)}`);
  } else if (got.length > 0 && tok.decode(got) !== c.text && !c.text.includes('\ufffd')) {
    failures.push(`decode ${JSON.stringify(c.text).slice(0, 60)}: got ${JSON.stringify(tok.decode(got)).slice(0, 60)}`);
  }
  checked++;
}
const eot = tok.encode('<|endoftext|>', { add_special_tokens: false }).ids;
if (JSON.stringify(eot) !== '[50256]') {
  failures.push(`<|endoftext|> is not the special token 50256: ${JSON.stringify(eot)}`);
}
for (const f of failures.slice(0, 10)) console.error(f);
console.log(`tokenizers.js on ${dir}: ${checked - failures.length}/${checked} cases match gpt-3-encoder` +
            ` (${skipped} with U+0085/U+FEFF or <|endoftext|> left out); <|endoftext|> -> ${JSON.stringify(eot)}`);
process.exit(failures.length === 0 ? 0 : 1);
