"""The two prompts of CrossGLG, versioned, and the structured-output tools the LLM
answers through (JSON with key joints named by the dataset's own joint names, so no
noun-phrase parsing is needed)."""

from __future__ import annotations

from ..data.layout import NTU_JOINTS

PROMPT_VERSION = "v1"

SYSTEM = (
    "You are an expert in human movement and biomechanics. You describe actions as a motion-capture "
    "skeleton with 25 joints records them. Answer only through the tool you are given."
)

GLOBAL_PROMPT = (
    'Action: "{action}".\n'
    "Which joints and body parts matter most for recognising this action from skeleton motion alone? "
    "Give one or two sentences that describe how the body performs the action, naming the most "
    "informative body parts, and list the key joints (between 2 and 10) using exactly these joint names: "
    "{joints}."
)

LOCAL_PROMPT = (
    'Action: "{action}".\n'
    "For each of the 25 joints below, write one short sentence (at most 20 words) saying what that joint "
    "does during this action: its direction, range and timing of movement. A joint that barely moves "
    "should say so briefly, in the context of this action. Use exactly these joint names as keys: {joints}."
)

GLOBAL_TOOL = {
    "name": "describe_action",
    "description": "The global description of an action and its key joints.",
    "input_schema": {
        "type": "object",
        "properties": {
            "description": {"type": "string"},
            "key_joints": {"type": "array", "items": {"type": "string", "enum": list(NTU_JOINTS)}, "minItems": 1},
        },
        "required": ["description", "key_joints"],
    },
}

LOCAL_TOOL = {
    "name": "describe_joints",
    "description": "One short motion sentence for each joint during the action.",
    "input_schema": {
        "type": "object",
        "properties": {
            "joints": {
                "type": "object",
                "properties": {j: {"type": "string"} for j in NTU_JOINTS},
                "required": list(NTU_JOINTS),
            }
        },
        "required": ["joints"],
    },
}


def global_prompt(action: str) -> str:
    return GLOBAL_PROMPT.format(action=action, joints=", ".join(NTU_JOINTS))


def local_prompt(action: str) -> str:
    return LOCAL_PROMPT.format(action=action, joints=", ".join(NTU_JOINTS))
