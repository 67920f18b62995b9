"""Reads answers with the official SDKs' response models, and says where
they disagree.

Run with the SDK environment's interpreter (tests/common/python.rs). Reads
a JSON list of cases from standard input, each

    {"name": ..., "product": "VPC", "version": "2016-04-28",
     "api": "ListIpsecServers", "body": {...}}

and writes a JSON list of results to standard output, one per case, in
order: {"name", "model", "problems"}. `model` is the response body model
that reads the answer, `alibabacloud_<product><version>.models.<Api>ResponseBody`
(null when the SDK has none), and `problems` lists, with the JSON path of
each, every way the body disagrees with it:

- a member the model has no field for: the SDK drops it without a word,
  so a client never sees it (the name is not the model's);
- a value of another type than the model declares (a number where it
  declares a string), or null;
- anything that does not come back unchanged from the SDK's own round
  trip, `Model().from_map(body).to_map()`, compared recursively, list
  elements included;
- an empty list, whose elements would go unchecked.
"""

import copy
import difflib
import functools
import importlib
import json
import sys
import typing

from Tea.model import TeaModel


def model_class(product, version, api):
    """The response body model of an operation, and its dotted name."""
    module = f"alibabacloud_{product.lower()}{version.replace('-', '')}"
    name = f"{module}.models.{api}ResponseBody"
    try:
        models = importlib.import_module(f"{module}.models")
    except ImportError as e:
        return None, name, f"no SDK package `{module}` is installed: {e}"
    cls = getattr(models, f"{api}ResponseBody", None)
    if cls is None:
        return None, name, f"the SDK has no response model `{name}`"
    return cls, name, None


def sample(declared):
    """A value of the declared type, to see where `to_map` puts it."""
    origin = typing.get_origin(declared)
    if origin is list:
        return [sample(typing.get_args(declared)[0])]
    if origin is dict:
        return {"key": "value"}
    if isinstance(declared, type) and issubclass(declared, TeaModel):
        return declared()
    return {str: "text", int: 1, bool: True, float: 1.5}.get(declared, "value")


@functools.cache
def fields(cls):
    """The model's members, JSON name to declared type, learnt from its own
    `to_map`: each attribute is set alone and the one member it adds is its
    name."""
    hints = typing.get_type_hints(cls.__init__)
    hints.pop("return", None)
    empty = cls().to_map()
    members = {}
    for attribute, declared in hints.items():
        model = cls()
        setattr(model, attribute, sample(declared))
        names = [k for k, v in model.to_map().items() if k not in empty or empty[k] != v]
        if len(names) != 1:
            raise RuntimeError(f"{cls.__name__}.{attribute} maps to {names}, not one member")
        members[names[0]] = declared
    return members


def describe(value):
    return f"{type(value).__name__} {json.dumps(value)}"


def check_types(value, declared, path, problems):
    """Every member of `value` is a field of the model, of its type."""
    origin = typing.get_origin(declared)
    if value is None:
        problems.append(f"{path}: null, which the SDK drops")
    elif declared is typing.Any:
        pass
    elif origin is list:
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list, found {describe(value)}")
        elif not value:
            problems.append(f"{path}: an empty list, so its elements go unchecked: give the test an item")
        else:
            for i, item in enumerate(value):
                check_types(item, typing.get_args(declared)[0], f"{path}[{i}]", problems)
    elif origin is dict:
        if not isinstance(value, dict):
            problems.append(f"{path}: expected an object, found {describe(value)}")
    elif isinstance(declared, type) and issubclass(declared, TeaModel):
        if not isinstance(value, dict):
            problems.append(f"{path}: expected an object ({declared.__name__}), found {describe(value)}")
            return
        members = fields(declared)
        for name, member in value.items():
            if name in members:
                check_types(member, members[name], f"{path}.{name}", problems)
                continue
            near = difflib.get_close_matches(name, members, n=3)
            if near:
                hint = f": did you mean {' or '.join(f'`{m}`' for m in near)}?"
            else:
                hint = f" (its members: {', '.join(sorted(members))})"
            problems.append(f"{path}.{name}: {declared.__name__} has no member `{name}`{hint}")
    elif declared is bool:
        if not isinstance(value, bool):
            problems.append(f"{path}: expected a boolean, found {describe(value)}")
    elif declared is int:
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{path}: expected an integer, found {describe(value)}")
    elif declared is float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(f"{path}: expected a number, found {describe(value)}")
    elif declared is str:
        if not isinstance(value, str):
            problems.append(f"{path}: expected a string, found {describe(value)}")
    else:
        problems.append(f"{path}: the model declares {declared!r}, which this check does not know")


def compare(sent, back, path, problems):
    """Everything in `sent` is in `back`, unchanged."""
    if isinstance(sent, dict):
        if not isinstance(back, dict):
            problems.append(f"{path}: came back as {describe(back)}")
            return
        for name, value in sent.items():
            if name not in back:
                problems.append(f"{path}.{name}: dropped by the SDK's from_map/to_map")
            else:
                compare(value, back[name], f"{path}.{name}", problems)
    elif isinstance(sent, list):
        if not isinstance(back, list) or len(back) != len(sent):
            problems.append(f"{path}: {describe(sent)} came back as {describe(back)}")
            return
        for i, (a, b) in enumerate(zip(sent, back)):
            compare(a, b, f"{path}[{i}]", problems)
    elif type(sent) is not type(back) or sent != back:
        problems.append(f"{path}: {describe(sent)} came back as {describe(back)}")


def check(case):
    cls, name, missing = model_class(case["product"], case["version"], case["api"])
    if cls is None:
        return {"name": case["name"], "model": None, "problems": [missing]}
    body, problems = case["body"], []
    if not isinstance(body, dict):
        problems.append(f"{case['api']}: the body is {describe(body)}, not an object")
    else:
        check_types(body, cls, case["api"], problems)
        try:
            model = cls().from_map(copy.deepcopy(body))
            model.validate()
            compare(body, model.to_map(), case["api"], problems)
        except Exception as e:  # the SDK's own failure to read the body
            problems.append(f"{case['api']}: the SDK cannot read the body: {e!r}")
    return {"name": case["name"], "model": name, "problems": problems}


def main():
    json.dump([check(case) for case in json.load(sys.stdin)], sys.stdout, indent=1)


if __name__ == "__main__":
    main()
