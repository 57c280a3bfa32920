#!/usr/bin/env python3
"""Turns the `!sd`-tagged YAML specifications of the sd-jwt-python test cases into plain JSON.

Run from this directory: `python3 make_sd_jwt_python_cases.py > sd_jwt_python_cases.json`.
Needs PyYAML. For every case it writes:
- `sd_paths`: the claim paths marked `!sd` (the disclosure policy), in document order;
- `disclose_paths`: the leaf paths the holder discloses (`holder_disclosed_claims`, truthy leaves);
- `extra_header_parameters`, `key_binding`, `serialization_format` as in the specification.
Object keys are converted to strings exactly as Python's `json.dumps` does (the generator of
`user_claims.json` did the same), so the paths match the generated claims.
"""
import glob
import json
import os
import sys

import yaml

ROOT = "../../../../../shared/vectors/sd-jwt-python/testcases"


class SD:
    def __init__(self, value):
        self.value = value

    def __hash__(self):
        return hash(("sd", json_key(self.value)))


def json_key(key):
    return next(iter(json.loads(json.dumps({key: 0}))))


def construct_sd(loader, node):
    if isinstance(node, yaml.ScalarNode):
        return SD(loader.construct_scalar(node) if node.style else yaml.SafeLoader.construct_object(loader, yaml.ScalarNode("tag:yaml.org,2002:" + resolve(loader, node), node.value, style=node.style)))
    if isinstance(node, yaml.SequenceNode):
        return SD(loader.construct_sequence(node, deep=True))
    return SD(loader.construct_mapping(node, deep=True))


def resolve(loader, node):
    tag = loader.resolve(yaml.ScalarNode, node.value, (True, False))
    return tag.rsplit(":", 1)[1]


class Loader(yaml.SafeLoader):
    pass


Loader.add_constructor("!sd", construct_sd)


def sd_paths(value, path, out):
    if isinstance(value, dict):
        for key, child in value.items():
            if isinstance(key, SD):
                name = json_key(key.value)
                sd_paths(child, path + [name], out)
                out.append(path + [name])
            else:
                sd_paths(child, path + [json_key(key)], out)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            if isinstance(child, SD):
                sd_paths(child.value, path + [index], out)
                out.append(path + [index])
            else:
                sd_paths(child, path + [index], out)


def disclose_paths(selection, path, out):
    if isinstance(selection, dict):
        for key, child in selection.items():
            disclose_paths(child, path + [json_key(key)], out)
    elif isinstance(selection, list):
        for index, child in enumerate(selection):
            disclose_paths(child, path + [index], out)
    elif selection is True:
        out.append(path)


cases = {}
for spec_file in sorted(glob.glob(os.path.join(ROOT, "*", "specification.yml"))):
    name = os.path.basename(os.path.dirname(spec_file))
    with open(spec_file) as f:
        spec = yaml.load(f, Loader=Loader)
    sd = []
    sd_paths(spec["user_claims"], [], sd)
    disclose = []
    disclose_paths(spec.get("holder_disclosed_claims", {}), [], disclose)
    cases[name] = {
        "sd_paths": sd,
        "disclose_paths": disclose,
        "extra_header_parameters": spec.get("extra_header_parameters"),
        "key_binding": bool(spec.get("key_binding", False)),
        "serialization_format": spec.get("serialization_format", "compact"),
    }
json.dump(cases, sys.stdout, indent=1, sort_keys=True)
print()
