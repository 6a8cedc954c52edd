"""Machine-learning models as destinations: estimators, training, and saved model artifacts.

An estimator (scikit-learn, XGBoost, LightGBM, Keras, a torch module …) remembers the data it
was trained on: ``fit(X, y)``, ``xgb.train(params, DMatrix(X, label=y))``, or a training loop
calling the module on batches. When the model is saved (``joblib.dump``, ``pickle.dump`` into an
``open(path, "wb")``, ``torch.save``, ``model.save``, ``mlflow.<flavor>.log_model`` …) the artifact
becomes a dataset of kind ``model`` whose columns are the features and label it was trained on,
each traced back to its sources.
"""

from __future__ import annotations

import posixpath

from ..model import DatasetKind, Subtype
from .dataframes import call_text, combine, frames_in
from .frames import ColExpr, Frame
from .interpreter import REGISTRY, Interpreter, Site
from .objects import FileHandle, Instance, Obj
from .values import NONE, Alt, DictVal, ListVal, Str, Unknown, Value

#: Libraries whose classes (and ``make_*`` factories) build models.
ML_PREFIXES = (
    "sklearn.", "xgboost.", "lightgbm.", "catboost.", "keras.", "tensorflow.keras.", "tf.keras.", "torch.nn.",
    "statsmodels.", "prophet.", "fbprophet.", "sentence_transformers.", "transformers.", "imblearn.",
    "tensorflow.estimator.", "pytorch_lightning.", "lightning.", "river.", "pmdarima.", "sktime.",
    "category_encoders.", "feature_engine.", "optuna.integration.",
)  # fmt: skip
_FIT = frozenset(
    " ".join(
        [
            "fit fit_transform partial_fit train fit_resample fit_generator train_on_batch fit_predict",
        ]
    ).split()
)
_APPLY = frozenset(
    " ".join(
        [
            "predict predict_proba predict_log_proba decision_function transform inverse_transform",
            "score_samples forecast encode generate embed __call__ forward apply kneighbors",
        ]
    ).split()
)
_SELF = frozenset(
    " ".join(
        [
            "state_dict get_params set_params eval to cuda cpu half float double get_booster booster_",
            "named_steps best_estimator_ model estimator get_model parameters compile summary",
            "requires_grad_ zero_grad",
        ]
    ).split()
)
_SAVE_METHODS = frozenset(
    " ".join(
        [
            "save save_model save_weights dump_model save_pretrained save_checkpoint",
        ]
    ).split()
)


def is_model(value: Value) -> bool:
    return (isinstance(value, Obj) and value.kind in ("estimator", "loaded")) or isinstance(value, Instance)


def contains_model(value: Value, depth: int = 0) -> bool:
    if is_model(value):
        return True
    if depth > 4:
        return False
    if isinstance(value, ListVal):
        return any(contains_model(i, depth + 1) for i in value.items)
    if isinstance(value, DictVal):
        return any(contains_model(i, depth + 1) for i in value.items.values())
    if isinstance(value, Alt):
        return any(contains_model(i, depth + 1) for i in value.options)
    return False


def _data_args(interp: Interpreter, site: Site, skip: int = 0) -> list[Value]:
    """Training data among the arguments; unknown data becomes an explicit unknown dataset."""
    data: list[Value] = []
    for i, value in enumerate(site.args.pos[skip:]):
        if isinstance(value, Frame | ColExpr | ListVal | DictVal) or (is_model(value) and isinstance(value, Obj)):
            if interp.data_in(value) or isinstance(value, Obj):
                data.append(value)
        elif isinstance(value, Unknown) and i < 2:
            node = site.args.node(i + skip)
            name = interp.sink.unknown(interp, site.ctx, node or site.node, "DT305",
                                       "the origin of the training data is unknown")  # fmt: skip
            data.append(Frame("data", {}, {name}, {name}))
    for key in ("X", "x", "y", "label", "labels", "train_set", "dtrain", "data", "train_dataloaders", "df"):
        keyword = site.args.kw.get(key)
        if keyword is not None and (interp.data_in(keyword) or isinstance(keyword, Obj)):
            data.append(keyword)
    return data


def train(interp: Interpreter, model: Obj | Instance, site: Site, skip: int = 0) -> None:
    model.trained.extend(_data_args(interp, site, skip))
    if interp.state.get("autolog"):
        target = "runs:/{run_id}/model"
        interp.sink.write(interp, site.ctx, site.node, model, [target], DatasetKind.MODEL, "mlflow.autolog")


@REGISTRY.on("adopt")
def _adopt_model(interp: Interpreter, site: Site) -> Value | None:
    if site.name in _FIT and _data_args(interp, site):
        return Obj("unknown", "estimator")
    return None


@REGISTRY.on("generic", first=True)
def _estimator_ctor(interp: Interpreter, site: Site) -> Value | None:
    name = site.name
    if not name.startswith(ML_PREFIXES):
        return None
    short = name.rsplit(".", 1)[-1]
    if not (short[:1].isupper() or short.startswith("make_")):
        return None
    model = Obj(name, "estimator")
    model.trained.extend(interp.data_in(v)[0] for v in site.args.values() if interp.data_in(v))
    return model


@REGISTRY.function("sklearn.model_selection.train_test_split", "sklearn.cross_validation.train_test_split")
def _train_test_split(interp: Interpreter, site: Site) -> Value:
    out: list[Value] = []
    for value in site.args.pos:
        part = value.copy() if isinstance(value, Frame) else value
        out.extend([part, value.copy() if isinstance(value, Frame) else value])
    return ListVal(out, "list")


@REGISTRY.function("xgboost.train", "lightgbm.train", "xgboost.cv", "lightgbm.cv", "catboost.train")
def _lib_train(interp: Interpreter, site: Site) -> Value:
    model = Obj(site.name, "estimator")
    train(interp, model, site, skip=1)
    return model


@REGISTRY.method(Obj)
def _model_method(interp: Interpreter, receiver: Value, site: Site) -> Value | None:
    assert isinstance(receiver, Obj)
    name = site.name
    if name in _FIT and (receiver.kind in ("estimator", "object", "loaded") or receiver.kind == "unknown"):
        if not _data_args(interp, site) and name != "train":
            return None
        if receiver.kind == "object":
            receiver.kind = "estimator"
        train(interp, receiver, site)
        if name in ("fit_transform", "fit_resample", "fit_predict"):
            return _applied(interp, receiver, site)
        return receiver
    if receiver.kind not in ("estimator", "loaded"):
        return None
    if name in _APPLY:
        return _applied(interp, receiver, site)
    if name in _SELF or name == "train":
        return receiver
    if name in _SAVE_METHODS:
        return save(interp, site, receiver, site.args.get(0, "path") or site.args.get(0, "fname"), site.args.node(0))
    if name == "score":
        return Unknown(call_text(name, site.args), "metric")
    return None


@REGISTRY.method(Instance)
def _instance_method(interp: Interpreter, receiver: Value, site: Site) -> Value | None:
    assert isinstance(receiver, Instance)
    name = site.name
    if name in _FIT:
        if _data_args(interp, site):
            train(interp, receiver, site)
            return receiver
        return None
    if name in _SELF or name == "train":
        return receiver
    if name in _SAVE_METHODS:
        return save(interp, site, receiver, site.args.get(0, "path") or site.args.get(0, "filepath"), site.args.node(0))
    if name in _APPLY:
        return _applied(interp, receiver, site)
    return None


@REGISTRY.on("call_object")
def _call_model(interp: Interpreter, site: Site) -> Value | None:
    model = site.receiver
    if isinstance(model, Instance) or (isinstance(model, Obj) and model.kind in ("estimator", "loaded")):
        assert isinstance(model, Obj | Instance)
        data = [v for v in site.args.values() if interp.data_in(v)]
        if not data:
            return None
        if model.kind == "estimator" if isinstance(model, Obj) else True:
            model.trained.extend(data)
        return _applied(interp, model, site)
    return None


@REGISTRY.on("getattr")
def _model_attr(interp: Interpreter, site: Site) -> Value | None:
    model = site.receiver
    named = site.name.endswith("_") or site.name in _SELF or site.name in ("weights", "coef", "booster")
    if isinstance(model, Obj) and model.kind in ("estimator", "loaded") and named:
        return model
    return None


def _applied(interp: Interpreter, model: Obj | Instance, site: Site) -> Value:
    """Predictions / transformed data: the input's columns, plus the model artifact it was loaded from."""
    data = [v for v in site.args.values() if interp.data_in(v)]
    text = call_text(site.name, site.args)
    loc = interp.loc(site.ctx, site.node)
    if model.loaded_from:
        sources = frozenset(model.loaded_from)
        data.append(Frame("data", {}, sources, sources))
    if not data:
        return Unknown(text, "model output")
    frames = frames_in(interp, data)
    transforming = site.name in ("transform", "fit_transform", "inverse_transform", "fit_resample")
    if transforming and len(frames) == 1 and not model.loaded_from:
        return frames[0].copy("data")
    return combine(frames, text, loc, Subtype.TRANSFORMATION, name="prediction")


# -- loading -------------------------------------------------------------------------------------


def _load(interp: Interpreter, site: Site, value: Value | None, kind: DatasetKind, node: object = None) -> Value:
    if isinstance(value, FileHandle):
        value = value.path
    names = interp.sink.path_names(interp, site.ctx, site.args.node(0) or site.node, value)
    for n in names:
        interp.sink.graph.dataset(n, kind)
    model = Obj(site.name, "loaded")
    model.loaded_from.update(names)
    return model


@REGISTRY.function(
    "joblib.load", "pickle.load", "cloudpickle.load", "dill.load", "torch.load", "skops.io.load",
    "sklearn.externals.joblib.load",
)  # fmt: skip
def _generic_load(interp: Interpreter, site: Site) -> Value:
    return _load(interp, site, site.args.get(0, "filename") or site.args.get(0, "file") or site.args.get(0, "f"),
                 DatasetKind.FILE)  # fmt: skip


@REGISTRY.function(
    "keras.models.load_model", "tensorflow.keras.models.load_model", "keras.saving.load_model",
    "tensorflow.saved_model.load", "xgboost.Booster", "lightgbm.Booster", "onnx.load", "onnxruntime.InferenceSession",
    "transformers.AutoModel.from_pretrained", "sentence_transformers.SentenceTransformer.load",
)  # fmt: skip
def _model_load(interp: Interpreter, site: Site) -> Value:
    value = site.args.get(0, "filepath") or site.args.kw.get("model_file") or site.args.get(0, "path")
    if value is None or (site.name.endswith("Booster") and "model_file" not in site.args.kw):
        return Obj(site.name, "estimator")
    return _load(interp, site, value, DatasetKind.MODEL)


@REGISTRY.prefix("mlflow.")
def _mlflow(interp: Interpreter, site: Site) -> Value | None:
    name = site.name
    short = name.rsplit(".", 1)[-1]
    args = site.args
    if short == "autolog":
        interp.state["autolog"] = True
        return NONE
    if short == "load_model" or short == "load_pyfunc":
        uri = args.get(0, "model_uri")
        return _load(interp, site, _normalize_uri(uri), DatasetKind.MODEL)
    if short in ("log_model", "save_model"):
        model = args.get(0, "sk_model") or next((v for v in args.kw.values() if is_model(v)), None)
        if short == "save_model":
            return save(interp, site, model or NONE, args.get(1, "path"), args.node(1, "path"))
        path = args.get(1, "artifact_path") or args.kw.get("name") or Str.of("model")
        if isinstance(path, Str):
            target = Str.of("runs:/{run_id}/").concat(path)
            save(interp, site, model or NONE, target, None)
            registered = args.kw.get("registered_model_name")
            if isinstance(registered, Str):
                _register(interp, site, target, registered)
        return NONE
    if short == "register_model":
        uri = args.get(0, "model_uri")
        model_name = args.get(1, "name")
        if isinstance(model_name, Str):
            _register(interp, site, _normalize_uri(uri), model_name)
        return NONE
    if short in ("log_artifact", "log_artifacts"):
        local = args.get(0, "local_path") or args.get(0, "local_dir")
        artifact = args.get(1, "artifact_path")
        sources = interp.sink.path_names(interp, site.ctx, args.node(0) or site.node, local)
        for source in sources:
            base = posixpath.basename(source.rstrip("/")) if short == "log_artifact" else ""
            folder = artifact.text if isinstance(artifact, Str) else ""
            artifact_uri = "runs:/{run_id}/" + "/".join(p for p in (folder, base) if p)
            frame = interp.sink.read(interp, site.ctx, site.node, [source], DatasetKind.FILE, "data")
            kind = interp.sink.graph.datasets[source].kind
            kind = DatasetKind.MODEL if kind is DatasetKind.MODEL else DatasetKind.FILE
            interp.sink.write(interp, site.ctx, site.node, frame, [artifact_uri], kind, f"mlflow.{short}")
        return NONE
    return None


def _normalize_uri(value: Value | None) -> Value | None:
    if (
        isinstance(value, Str)
        and value.parts
        and isinstance(value.parts[0], str)
        and value.parts[0].startswith("runs:/")
    ):
        text = value.text
        rest = text[len("runs:/") :].split("/", 1)
        return Str.of("runs:/{run_id}/" + (rest[1] if len(rest) > 1 else ""))
    return value


def _register(interp: Interpreter, site: Site, uri: Value | None, name: Str) -> None:
    sources = interp.sink.path_names(interp, site.ctx, site.node, uri)
    frame = interp.sink.read(interp, site.ctx, site.node, sources, DatasetKind.MODEL, "data")
    for s in sources:
        interp.sink.graph.dataset(s, DatasetKind.MODEL)
    interp.sink.write(interp, site.ctx, site.node, frame, [f"models:/{name.text}"], DatasetKind.MODEL,
                      "mlflow.register_model")  # fmt: skip


# -- saving --------------------------------------------------------------------------------------


def save(interp: Interpreter, site: Site, value: Value, path: Value | None, node: object) -> Value:
    """``value`` saved to ``path``: a model artifact when it holds a model, else a data file."""
    if isinstance(path, FileHandle):
        path = path.path
    names = interp.sink.path_names(interp, site.ctx, node if node is not None else site.node, path)  # type: ignore[arg-type]
    kind = DatasetKind.MODEL if contains_model(value) else DatasetKind.FILE
    interp.sink.write(interp, site.ctx, site.node, value, names, kind, site.name, site.args.node(0))
    return NONE


@REGISTRY.function(
    "joblib.dump", "pickle.dump", "cloudpickle.dump", "dill.dump", "torch.save", "skops.io.dump",
    "sklearn.externals.joblib.dump", "onnx.save", "onnx.save_model", "tensorflow.saved_model.save",
    "keras.models.save_model", "tensorflow.keras.models.save_model",
)  # fmt: skip
def _dump(interp: Interpreter, site: Site) -> Value:
    value = site.args.get(0, "value") or site.args.get(0, "obj") or NONE
    path = site.args.get(1, "filename") or site.args.get(1, "file") or site.args.get(1, "f")
    return save(interp, site, value, path, site.args.node(1))


@REGISTRY.function("numpy.save", "numpy.savez", "numpy.savez_compressed", "numpy.savetxt")
def _np_save(interp: Interpreter, site: Site) -> Value:
    path = site.args.get(0, "file") or site.args.get(0, "fname")
    values = site.args.pos[1:] or list(site.args.kw.values())
    value: Value = values[0] if len(values) == 1 else ListVal(values)
    return save(interp, site, value, path, site.args.node(0))


@REGISTRY.function("numpy.load", "numpy.loadtxt", "numpy.genfromtxt", "numpy.fromfile")
def _np_load(interp: Interpreter, site: Site) -> Value:
    value = site.args.get(0, "file") or site.args.get(0, "fname")
    names = interp.sink.path_names(interp, site.ctx, site.args.node(0) or site.node, value)
    return interp.sink.read(interp, site.ctx, site.node, names, DatasetKind.FILE, "data")
