"""BERTopic without torch: a warm run (every vector cached) should not spend seconds importing what it never uses.

``import bertopic`` imports its transformers-based representation models (text generation, zero-shot
classification), and with them torch: about 5 s of a warm run, for classes this package never uses. BERTopic
already treats a missing transformers as optional, so :func:`bertopic_class` imports it with torch and
transformers made to look absent for that one import, then puts those classes back as lazy attributes: whoever
asks for ``bertopic.representation.TextGeneration`` later still gets the real class.

It also imports its ``plotting`` package, and with it UMAP (numba) and Plotly's figure factory (which, where
Jupyter is installed, imports jsonschema): about 3.5 s more. That package is put in place as a lazy module
imported on first use: ``topic_model.visualize_topics()`` still works.

:func:`load_bertopic` loads a saved model the same way: ``BERTopic.load`` tries to build a SentenceTransformer
from the save (importing torch, about 8 s) even when, as in our saves, it holds no embedding model.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
from pathlib import Path

from analysis._io import quiet_logger

_BLOCKED = {"torch", "transformers"}
_LAZY = {"TextGeneration": "_textgeneration", "ZeroShotClassification": "_zeroshot", "VisualRepresentation": "_visual"}


class _Absent(importlib.abc.MetaPathFinder):
    def __init__(self, blocked=frozenset(_BLOCKED)):
        self.blocked = blocked

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def _lazy_representations(module) -> None:
    """Replace the placeholders BERTopic left for the blocked classes with attributes imported on first use."""
    for name in _LAZY:
        module.__dict__.pop(name, None)

    def __getattr__(name):
        if name not in _LAZY:
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{module.__name__}.{_LAZY[name]}"), name)
        setattr(module, name, value)
        return value

    module.__getattr__ = __getattr__


class _DeferredPlotting(types.ModuleType):
    """Stands in for ``bertopic.plotting`` until one of its functions is asked for, then imports the real
    package and hands over to it."""

    def __init__(self, name: str):
        super().__init__(name)
        # its file without importing it: torch's import asks every loaded module for its file (inspect.getmodule),
        # which must not load UMAP and numba (6 s)
        package = importlib.util.find_spec(name.partition(".")[0])
        self.__file__ = str(Path(package.origin).parent / name.partition(".")[2] / "__init__.py")

    def __getattr__(self, name):
        if name.startswith("__") and name not in ("__path__", "__all__"):
            raise AttributeError(name)  # what the import system asks of any module: not a reason to load
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        real = importlib.import_module(self.__name__)
        for holder in ("bertopic", "bertopic._bertopic"):
            if getattr(sys.modules.get(holder), "plotting", None) is self:
                sys.modules[holder].plotting = real
        return getattr(real, name)


def bertopic_class():
    """``bertopic.BERTopic``, imported without torch unless torch or BERTopic is already loaded."""
    if "bertopic" not in sys.modules and not _BLOCKED & set(sys.modules):
        finder = _Absent()
        sys.meta_path.insert(0, finder)
        sys.modules["bertopic.plotting"] = _DeferredPlotting("bertopic.plotting")
        try:
            importlib.import_module("bertopic")
        except BaseException:
            sys.modules.pop("bertopic.plotting", None)
            raise
        finally:
            sys.meta_path.remove(finder)
        _lazy_representations(sys.modules["bertopic.representation"])
        if isinstance(sys.modules.get("bertopic.plotting"), _DeferredPlotting):
            sys.modules["bertopic"].plotting = sys.modules["bertopic.plotting"]
    from bertopic import BERTopic

    return BERTopic


def load_bertopic(path: str):
    """``BERTopic.load(path)`` of a save without an embedding model, without importing sentence-transformers (and
    torch) for the embedding model it would then fail to build: it gets BERTopic's empty backend either way, and
    its warning about that is not shown."""
    BERTopic = bertopic_class()  # noqa: N806  (first: importing BERTopic sets its logger's level)
    finder = _Absent({"sentence_transformers"})
    if "sentence_transformers" not in sys.modules:
        sys.meta_path.insert(0, finder)
    try:
        with quiet_logger("BERTopic"):
            return BERTopic.load(path)
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)


def bertopic_text(texts) -> list[str]:
    """``texts`` cleaned as BERTopic cleans documents before counting their terms with ``language=None`` (ours:
    hyphenated words stay whole): tabs and line breaks as spaces, an empty text as ``emptydoc``."""
    cleaned = (str(text).replace("\n", " ").replace("\t", " ") for text in texts)
    return [text if text else "emptydoc" for text in cleaned]


def with_topics(model, topics: dict[int, str], terms, sizes, embeddings, weights):
    """A copy of the fitted BERTopic ``model`` that knows more topics (the themes an update adopts): ``topics``
    maps each new id (after the fitted ones, in order) to its label, with its top ``(term, weight)`` pairs, its
    number of papers, its mean embedding and its c-TF-IDF row (``weights``, sparse, in the model's vocabulary).
    ``get_topic``, ``get_topic_info``, ``topic_embeddings_`` and a save carry them; ``model`` stays as it was."""
    import copy

    import numpy as np
    import scipy.sparse as sp

    model = copy.deepcopy(model)
    for topic, pairs, size in zip(topics, terms, sizes, strict=True):
        model.topic_representations_[topic] = list(pairs)
        model.topic_labels_[topic] = f"{topic}_" + "_".join(term for term, _ in pairs[:4])
        model.topic_sizes_[topic] = int(size)
    model.topic_embeddings_ = np.vstack([model.topic_embeddings_, embeddings])
    model.c_tf_idf_ = sp.vstack([model.c_tf_idf_, sp.csr_matrix(weights)]).tocsr()
    set_labels(model, topics)
    return model


def set_labels(model, labels: dict[int, str]) -> None:
    """Give the BERTopic ``model``'s topics these names (``custom_labels_``, which ``get_topic_info`` shows),
    keeping the others' names. ``BERTopic.set_topic_labels`` names only the topics of the documents it was fitted
    on, and would drop an adopted theme's name."""
    current = model.custom_labels_ or [model.topic_labels_[t] for t in sorted(model.topic_labels_)]
    named = dict(zip(sorted(model.topic_labels_), current, strict=False))
    model.custom_labels_ = [labels.get(t, named.get(t, model.topic_labels_[t])) for t in sorted(model.topic_labels_)]
