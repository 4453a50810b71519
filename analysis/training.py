"""Train the tagging model on hand-coded labels (``govwatch train --labels FILE``).

Input: a UTF-8 CSV with a ``text`` column and any of ``topic``, ``critical``,
``needs_response`` (yes/no columns accept true/false, yes/no, 1/0; an empty
cell means "not coded"). Leading lines starting with ``#`` are comments.

For each coded target, stratified k-fold cross-validation estimates how the
model does on texts it has not seen: per-class precision, recall, F1 and the
confusion matrix. Then one model is fitted on all rows and written beside the
report:

- ``OUT/model.skops``: the :class:`govwatch.analysis.classifiers.PostTagger` (skops
  format, never pickle; load it with :func:`govwatch.analysis.classifiers.load_model`);
- ``OUT/report.json`` and ``OUT/report.md``: the cross-validated figures.

Targets that are not coded keep learning from the taxonomy's weak labels.
Activate the model with ``govwatch analyze --model OUT/model.skops``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from govwatch.errors import InputError, read_text

from .classifiers import TARGETS, PostTagger, _as_bool, save_model

MODEL_FILE = "model.skops"
REPORT_JSON = "report.json"
REPORT_MD = "report.md"


@dataclass
class TargetReport:
    target: str
    rows: int
    folds: int
    classes: list[str]
    precision: list[float]
    recall: list[float]
    f1: list[float]
    support: list[int]
    confusion: list[list[int]]  # rows: true class, columns: predicted class (order of classes)
    accuracy: float
    macro_f1: float
    note: str = ""


@dataclass
class TrainingReport:
    labels_file: str
    model_path: str
    report_json: str
    report_md: str
    model_version: str
    rows: int
    targets: dict[str, TargetReport] = field(default_factory=dict)
    weak_targets: list[str] = field(default_factory=list)
    created_at: str = ""

    def summary(self) -> str:
        """A few lines for the terminal."""
        lines = [f"Trained {self.model_version} on {self.rows:,} coded texts from {self.labels_file}."]
        for t in self.targets.values():
            if t.note:
                lines.append(f"  {t.target}: {t.note}")
                continue
            lines.append(f"  {t.target}: {t.folds}-fold CV on {t.rows:,} rows, accuracy "
                         f"{t.accuracy:.3f}, macro F1 {t.macro_f1:.3f}")
            for cls, p, r, f in zip(t.classes, t.precision, t.recall, t.f1, strict=True):
                lines.append(f"    {cls:<14} precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}")
        if self.weak_targets:
            lines.append(f"  not coded (learned from the taxonomy's weak labels): "
                         f"{', '.join(self.weak_targets)}")
        lines.append(f"Model: {self.model_path}\nReport: {self.report_md}")
        lines.append(f"Use it: govwatch analyze --model {self.model_path}")
        return "\n".join(lines)


def read_labels(path: str | Path) -> pd.DataFrame:
    """The coded CSV as a frame: text plus coded targets (None where not coded)."""
    path = Path(path)
    raw = read_text(path, "labels", "utf-8-sig")
    lines = raw.splitlines(keepends=True)
    skip = 0
    while skip < len(lines) and lines[skip].lstrip().startswith("#"):
        skip += 1
    import io

    try:
        frame = pd.read_csv(io.StringIO("".join(lines[skip:])), dtype=str,
                            keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(str(path), f"not a readable CSV: {exc}") from exc
    if "text" not in frame.columns:
        raise InputError(str(path), f"no 'text' column (columns: {list(frame.columns)})",
                         f"line {skip + 1}")
    targets = [t for t in TARGETS if t in frame.columns]
    if not targets:
        raise InputError(str(path), f"no label column; expected any of {list(TARGETS)}",
                         f"line {skip + 1}")
    out = pd.DataFrame({"text": frame["text"].astype(object)})
    for target in targets:
        values: list[str | bool | None] = []
        for i, cell in enumerate(frame[target].tolist()):
            cell = cell.strip()
            if not cell:
                values.append(None)
                continue
            if target == "topic":
                values.append(cell)
                continue
            try:
                values.append(_as_bool(cell))
            except ValueError as exc:
                raise InputError(str(path), f"{target}: {exc}", f"line {skip + 2 + i}") from None
        out[target] = pd.Series(values, dtype=object)
    empty = [i for i, t in enumerate(out["text"]) if not str(t).strip()]
    if empty:
        raise InputError(str(path), "empty text", f"line {skip + 2 + empty[0]}")
    coded = [t for t in targets if out[t].notna().any()]
    if not coded:
        raise InputError(str(path), "no row has a label")
    return out[["text", *coded]]


def cross_validate(texts: list[str], labels: pd.Series, target: str, folds: int,
                   random_state: int, make: Callable[[], PostTagger]) -> TargetReport:
    """Stratified k-fold out-of-fold predictions for one target."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
    from sklearn.model_selection import StratifiedKFold

    mask = labels.notna().to_numpy()
    x = np.array(texts, dtype=object)[mask]
    y = labels[mask].astype(str).to_numpy()
    classes, counts = np.unique(y, return_counts=True)
    k = int(min(folds, counts.min())) if len(classes) > 1 else 0
    if k < 2:
        return TargetReport(target, int(mask.sum()), 0, [str(c) for c in classes], [], [], [],
                            counts.tolist(), [], float("nan"), float("nan"),
                            note="too few examples per class for cross-validation "
                                 "(each class needs at least 2)")
    pred = np.empty(len(y), dtype=object)
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=random_state)
    for train, test in splitter.split(x, y):
        frame = pd.DataFrame({target: labels[mask].iloc[train].to_numpy()})
        model = make().fit(list(x[train]), frame)
        pred[test] = model.predict(list(x[test]))[target].astype(str).to_numpy()
    p, r, f, s = precision_recall_fscore_support(y, pred.astype(str), labels=classes,
                                                 zero_division=0)
    cm = confusion_matrix(y, pred.astype(str), labels=classes)
    return TargetReport(
        target, int(mask.sum()), k, [str(c) for c in classes], _floats(p), _floats(r),
        _floats(f), [int(v) for v in s], cm.tolist(), float((pred.astype(str) == y).mean()),
        float(np.mean(f)),
    )


def _floats(values) -> list[float]:
    return [round(float(v), 4) for v in values]


def train_from_labels(labels_csv: str | Path, out_dir: str | Path, *, folds: int = 5,
                      random_state: int = 0, taxonomy=None,
                      progress: Callable[[str], None] | None = None) -> TrainingReport:
    """Cross-validate, fit on all rows, save model + report; returns the report."""
    say = progress or (lambda _msg: None)
    labels = read_labels(labels_csv)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    texts = labels["text"].tolist()
    coded = [t for t in TARGETS if t in labels.columns]

    def make() -> PostTagger:
        return PostTagger(taxonomy=taxonomy, random_state=random_state)

    reports = {}
    for target in coded:
        say(f"cross-validating {target}")
        reports[target] = cross_validate(texts, labels[target], target, folds, random_state, make)
    say("fitting the model on all rows")
    model = make().fit(texts, labels[coded])
    model_path = save_model(model, out / MODEL_FILE)
    report = TrainingReport(
        labels_file=str(labels_csv), model_path=str(model_path),
        report_json=str(out / REPORT_JSON), report_md=str(out / REPORT_MD),
        model_version=model.version_, rows=len(texts), targets=reports,
        weak_targets=[t for t in TARGETS if t not in coded],
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    (out / REPORT_JSON).write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n",
                                   "utf-8")
    (out / REPORT_MD).write_text(render_markdown(report), "utf-8")
    return report


def render_markdown(report: TrainingReport) -> str:
    lines = [
        "# Tagging model: cross-validated evaluation", "",
        f"- labels: `{report.labels_file}` ({report.rows:,} coded texts)",
        f"- model: `{report.model_path}` (version `{report.model_version}`, skops format)",
        f"- created: {report.created_at}", "",
        "Figures are out-of-fold: each text was predicted by a model that never saw it "
        "(stratified k-fold).", "",
    ]
    for t in report.targets.values():
        lines.append(f"## {t.target}")
        lines.append("")
        if t.note:
            lines += [t.note, ""]
            continue
        lines += [f"{t.folds}-fold CV on {t.rows:,} rows: accuracy {t.accuracy:.3f}, "
                  f"macro F1 {t.macro_f1:.3f}.", "",
                  "| class | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
        for row in zip(t.classes, t.precision, t.recall, t.f1, t.support, strict=True):
            lines.append(f"| {row[0]} | {row[1]:.3f} | {row[2]:.3f} | {row[3]:.3f} | {row[4]} |")
        lines += ["", "Confusion matrix (rows: coded class, columns: predicted class):", "",
                  "| coded \\ predicted | " + " | ".join(t.classes) + " |",
                  "|---|" + "---:|" * len(t.classes)]
        for cls, counts in zip(t.classes, t.confusion, strict=True):
            lines.append(f"| {cls} | " + " | ".join(str(v) for v in counts) + " |")
        lines.append("")
    if report.weak_targets:
        lines += ["Not coded (learned from the taxonomy's weak labels): "
                  + ", ".join(report.weak_targets), ""]
    return "\n".join(lines)
