"""Realistic LLM responses with the strokes and problems the parser must find.

Each case: (name, response text, expected strokes as lists of 4 points, expected
problem strings (exact, in order), expected labels or None to skip the check).
An expected stroke list of None means the parser must raise ParseError; then the
problem strings are substrings the error message must contain.
"""

A = [(-0.5, -0.5, -1.0), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0.0), (-0.5, -0.5, 0.5)]
B = [(0.5, -0.5, -1.0), (0.5, -0.5, -0.5), (0.5, -0.5, 0.0), (0.5, -0.5, 0.5)]
C = [(-0.5, -0.5, 0.5), (-0.2, -0.6, 0.55), (0.2, -0.6, 0.55), (0.5, -0.5, 0.5)]
D = [(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]

# The paper's action keyword and the brackets every format is built from: the first pieces of
# the property tests' random replies.
ACTION_PIECES = ["draw_bezier", "[", "]", "(", ")", "{", "}", ","]

CASES = [
    (
        "paper_actions_in_curves_tags",
        """<curves>
draw_bezier[(-0.5, -0.5, -1.0), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0.0), (-0.5, -0.5, 0.5)]
draw_bezier[(0.5, -0.5, -1.0), (0.5, -0.5, -0.5), (0.5, -0.5, 0.0), (0.5, -0.5, 0.5)]
</curves>""",
        [A, B],
        [],
        None,
    ),
    (
        "preamble_then_numbered_actions_with_comments",
        """Sure! Here's a simple table leg and apron, drawn as cubic Bezier curves in the [-1, 1] cube.

1. draw_bezier[(-0.5, -0.5, -1), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.5)]  # front left leg
2. draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)]  # front right leg
3. draw_bezier[(-0.5, -0.5, 0.5), (-0.2, -0.6, 0.55), (0.2, -0.6, 0.55), (0.5, -0.5, 0.5)]  # apron

Let me know if you want more detail!""",
        [A, B, C],
        [],
        ["front left leg", "front right leg", "apron"],
    ),
    (
        "square_point_brackets_and_tight_spacing",
        "draw_bezier[[-0.5,-0.5,-1],[-0.5,-0.5,-0.5],[-0.5,-0.5,0],[-0.5,-0.5,0.5]]\n"
        "draw_bezier[ [0.5 , -0.5 , -1] , [0.5,-0.5,-0.5] ,[0.5,-0.5,0],[0.5,-0.5,0.5] ]",
        [A, B],
        [],
        None,
    ),
    (
        "double_wrapped_paper_tuple",
        "draw_bezier[((-0.5, -0.5, -1.0), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0.0), (-0.5, -0.5, 0.5))]\n"
        "draw_bezier[((0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0))]",
        [A, D],
        [],
        None,
    ),
    (
        "thinking_block_with_tuples_then_answer",
        """<thinking>
The chair seat sits at z = 0.5. A leg goes from (-0.5, -0.5, -1) up to (-0.5, -0.5, 0.5),
so P1 = (-0.5, -0.5, -0.5) and P2 = (-0.5, -0.5, 0). Maybe [(0,0,0),(1,1,1),(2,2,2),(3,3,3)]?
No: that leaves the cube. I'll use 2 legs.
</thinking>
<answer>
draw_bezier[(-0.5, -0.5, -1), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.5)]
draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)]
</answer>""",
        [A, B],
        [],
        None,
    ),
    (
        "markdown_fence_with_actions",
        """Here is the sketch:

```
draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]  // back post
```
""",
        [D],
        [],
        ["back post"],
    ),
    (
        "crlf_and_tabs",
        "draw_bezier[(-0.5,\t-0.5,\t-1),\t(-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.5)]\r\n"
        "\tdraw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)]\r\n",
        [A, B],
        [],
        None,
    ),
    (
        "exponent_notation_and_plus_signs",
        "draw_bezier[(-5e-1, -5E-1, -1e0), (-0.5, -0.5, -5.0e-1), (-.5, -0.5, 0.), (-0.5, -0.5, +0.5)]",
        [A],
        [],
        None,
    ),
    (
        "python_list_assigned_with_trailing_commas",
        """```python
curves = [
    [(-0.5, -0.5, -1.0), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0.0), (-0.5, -0.5, 0.5)],  # leg
    [(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0),],  # post
]
```""",
        [A, D],
        [],
        ["leg", "post"],
    ),
    (
        "json_list_of_lists",
        "[[[-0.5,-0.5,-1],[-0.5,-0.5,-0.5],[-0.5,-0.5,0],[-0.5,-0.5,0.5]],"
        "[[0.5,-0.5,-1],[0.5,-0.5,-0.5],[0.5,-0.5,0],[0.5,-0.5,0.5]]]",
        [A, B],
        [],
        None,
    ),
    (
        "canonical_json",
        '{"format": "threedraw.sketch/1", "prompt": "a table", "strokes": ['
        '{"id": "s1", "points": [[-0.5,-0.5,-1.0],[-0.5,-0.5,-0.5],[-0.5,-0.5,0.0],[-0.5,-0.5,0.5]], "label": "leg"},'
        '{"id": "s2", "points": [[-0.5,-0.5,0.5],[-0.2,-0.6,0.55],[0.2,-0.6,0.55],[0.5,-0.5,0.5]]}]}',
        [A, C],
        [],
        ["leg", ""],
    ),
    (
        "canonical_json_in_fence_after_prose",
        """I drew one stroke.
```json
{"format": "threedraw.sketch/1", "prompt": "a post", "strokes": [
  {"id": "p", "points": [[0, 0.5, 0.5], [0, 0.5, 0.7], [0, 0.5, 0.8], [0, 0.5, 1]]}
]}
```""",
        [D],
        [],
        None,
    ),
    (
        "schema_json_without_format",
        '{"strokes": [{"points": [[0.5,-0.5,-1],[0.5,-0.5,-0.5],[0.5,-0.5,0],[0.5,-0.5,0.5]]}]}',
        [B],
        [],
        None,
    ),
    (
        "json_strokes_as_bare_arrays",
        '{"strokes": [[[0.5,-0.5,-1],[0.5,-0.5,-0.5],[0.5,-0.5,0],[0.5,-0.5,0.5]], '
        "[[0,0.5,0.5],[0,0.5,0.7],[0,0.5,0.8],[0,0.5,1]]]}",
        [B, D],
        [],
        None,
    ),
    (
        "three_points_dropped",
        "draw_bezier[(-0.5, -0.5, -1), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.5)]\n"
        "draw_bezier[(0, 0, 0), (0.1, 0.1, 0.1), (0.2, 0.2, 0.2)]\n"
        "draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)]",
        [A, B],
        ["stroke 2: 3 control points, expected 4"],
        None,
    ),
    (
        "five_points_dropped",
        "draw_bezier[(0, 0, 0), (0.1, 0.1, 0.1), (0.2, 0.2, 0.2), (0.3, 0.3, 0.3), (0.4, 0.4, 0.4)]\n"
        "draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]",
        [D],
        ["stroke 1: 5 control points, expected 4"],
        None,
    ),
    (
        "nan_dropped",
        "draw_bezier[(0, 0, 0), (0.1, NaN, 0.1), (0.2, 0.2, 0.2), (0.3, 0.3, 0.3)]\n"
        "draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]",
        [D],
        ["stroke 1: point 2 y is NaN, not a finite number"],
        None,
    ),
    (
        "infinity_and_overflow_dropped",
        "draw_bezier[(0, 0, 0), (0.1, 0.1, 0.1), (inf, 0.2, 0.2), (0.3, 0.3, 0.3)]\n"
        "draw_bezier[(0, 0, 0), (0.1, 0.1, 0.1), (0.2, 0.2, 0.2), (0.3, 0.3, 1e999)]\n"
        "draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)]",
        [B],
        [
            "stroke 1: point 3 x is inf, not a finite number",
            "stroke 2: point 4 z is 1e999, not a finite number",
        ],
        None,
    ),
    (
        "non_numeric_placeholder_dropped",
        "draw_bezier[(x, y, z), (0.1, 0.1, 0.1), (0.2, 0.2, 0.2), (0.3, 0.3, 0.3)]\n"
        "draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)]",
        [B],
        ["stroke 1: point 1 x is 'x', not a number"],
        None,
    ),
    (
        "two_coordinates_dropped",
        "draw_bezier[(0, 0), (0.1, 0.1, 0.1), (0.2, 0.2, 0.2), (0.3, 0.3, 0.3)]\n"
        "draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)]",
        [B],
        ["stroke 1: point 1 has 2 coordinates, expected 3"],
        None,
    ),
    (
        "outside_cube_clamped",
        "draw_bezier[(-0.5, -0.5, -1.4), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.5)]",
        [A],
        ["stroke 1: coordinates outside the cube [-1, 1] were clamped"],
        None,
    ),
    (
        "beyond_ten_dropped",
        "draw_bezier[(0, 0, 0), (0.1, 0.1, 0.1), (0.2, 0.2, 0.2), (12, 0.3, 0.3)]\n"
        "draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)]",
        [B],
        ["stroke 1: point 4 x=12 is beyond 10; stroke dropped"],
        None,
    ),
    (
        "truncated_mid_number",
        "draw_bezier[(-0.5, -0.5, -1), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.5)]\n"
        "draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.",
        [A],
        ["stroke 2: incomplete (the response was cut off)"],
        None,
    ),
    (
        "truncated_inside_curves_tag",
        "<curves>\ndraw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]\ndraw_bezier[(0.1, 0.2",
        [D],
        ["stroke 2: incomplete (the response was cut off)"],
        None,
    ),
    (
        "truncated_json_list",
        "[[[-0.5,-0.5,-1],[-0.5,-0.5,-0.5],[-0.5,-0.5,0],[-0.5,-0.5,0.5]],\n [[0.5,-0.5,-1],[0.5,-0.5,-0.5],[0.5,-0.",
        [A],
        ["stroke 2: incomplete (the response was cut off)"],
        None,
    ),
    (
        "truncated_canonical_json",
        '{"format": "threedraw.sketch/1", "prompt": "a table", "strokes": ['
        '{"id": "s1", "points": [[-0.5,-0.5,-1.0],[-0.5,-0.5,-0.5],[-0.5,-0.5,0.0],[-0.5,-0.5,0.5]]},'
        '{"id": "s2", "points": [[-0.5,-0.5,0.5],[-0.2,-0.6,0.5',
        [A],
        ["stroke 2: incomplete (the response was cut off)"],
        None,
    ),
    (
        "mismatched_bracket_types",
        "draw_bezier[(-0.5, -0.5, -1], [-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.5))",
        [A],
        [],
        None,
    ),
    (
        "label_with_apostrophe_and_arrow",
        "draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)] -> chair's back post\n",
        [D],
        [],
        ["chair's back post"],
    ),
    (
        "prose_mentions_function_and_points",
        """I'll use draw_bezier for each part. The top is at (0, 0, 1) and the base near (0, 0, -1).

draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]""",
        [D],
        [],
        None,
    ),
    (
        "template_echo_then_real_strokes",
        """Format: draw_bezier[(P0, P1, P2, P3)]
draw_bezier[(-0.5, -0.5, -1), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.5)]""",
        [A],
        ["stroke 1: 4 values, expected 4 points of 3 numbers"],
        None,
    ),
    (
        "over_256_strokes_truncated",
        "\n".join(["draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]"] * 260),
        [D] * 256,
        ["260 strokes, only the first 256 were kept"],
        None,
    ),
    (
        "python_dict_single_quotes",
        "sketch = {'strokes': [{'points': [(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)], "
        "'label': 'leg'}]}",
        [B],
        [],
        ["leg"],
    ),
    (
        "lone_stroke_without_list",
        "The single curve: [(-0.5, -0.5, 0.5), (-0.2, -0.6, 0.55), (0.2, -0.6, 0.55), (0.5, -0.5, 0.5)]",
        [C],
        [],
        None,
    ),
    (
        "unclosed_thinking_means_nothing",
        "<thinking>Let me think about draw_bezier[(0, 0, 0), (0.1, 0.1, 0.1), (0.2, 0.2, 0.2), (0.3, 0.3, 0.3)] and",
        None,
        ["no stroke found"],
        None,
    ),
    (
        "prose_only_refusal",
        "I'm sorry, but I can't draw that. Maybe try a chair (with 4 legs) at size 1.5?",
        None,
        ["no stroke found"],
        None,
    ),
    (
        "all_strokes_bad",
        "draw_bezier[(0, 0, 0), (1, 1, 1)]\ndraw_bezier[(0, 0, 0), (nan, 1, 1), (0, 0, 1), (1, 0, 0)]",
        None,
        ["no valid stroke", "stroke 1: 2 control points, expected 4", "stroke 2: point 2 x is nan"],
        None,
    ),
    (
        "empty_response",
        "   \n\t ",
        None,
        ["the response is empty"],
        None,
    ),
]

# -- Formats other models write, and the Unicode forms of numbers ------------
# Replies as models wrote them when asked for control points; A, B, C, D as above.

CASES += [
    (
        "unicode_minus_signs_are_minus",
        "draw_bezier[(\u22120.5, \u22120.5, \u22121.0), (\u22120.5, \u22120.5, \u22120.5), "
        "(\u22120.5, \u22120.5, 0.0), (\u22120.5, \u22120.5, 0.5)]",
        [A],
        [],
        None,
    ),
    (
        "en_dash_before_numbers_is_minus",
        "draw_bezier[(\u20130.5, \u20130.5, \u20131), (\u20130.5, \u20130.5, \u20130.5), (\u20130.5, \u20130.5, 0), "
        "(\u20130.5, \u20130.5, 0.5)]",
        [A],
        [],
        None,
    ),
    (
        "fullwidth_digits_minus_and_punctuation",
        "draw_bezier\uff3b\uff08\uff0d\uff10\uff0e\uff15\uff0c\u3000\uff0d\uff10\uff0e\uff15\uff0c\uff0d\uff11\uff09\uff0c"
        "\uff08\uff0d\uff10\uff0e\uff15\uff0c\uff0d\uff10\uff0e\uff15\uff0c\uff0d\uff10\uff0e\uff15\uff09\uff0c"
        "\uff08\uff0d\uff10\uff0e\uff15\uff0c\uff0d\uff10\uff0e\uff15\uff0c\uff10\uff09\uff0c"
        "\uff08\uff0d\uff10\uff0e\uff15\uff0c\uff0d\uff10\uff0e\uff15\uff0c\uff10\uff0e\uff15\uff09\uff3d",
        [A],
        [],
        None,
    ),
    (
        "non_breaking_and_thin_spaces",
        "draw_bezier[(-0.5,\u00a0-0.5,\u2009-1),\u202f(-0.5,\u2009-0.5,\u2009-0.5),\u00a0(-0.5, -0.5, 0), "
        "(-0.5,\u200b -0.5, 0.5)]",
        [A],
        [],
        None,
    ),
    (
        "ambiguous_dash_between_numbers_is_reported_not_guessed",
        "draw_bezier[(0.5\u20130.5, 0, 0), (0, 0, 0.1), (0, 0, 0.2), (0, 0, 0.3)]\n"
        "draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, \u2212 0.5)]\n"
        "draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]",
        [D],
        [
            "stroke 1: point 1 has '\u2013' (U+2013) next to a number: a minus sign or a dash? "
            "Stroke dropped rather than guessed",
            "stroke 2: point 4 has '\u2212' (U+2212) next to a number: a minus sign or a dash? "
            "Stroke dropped rather than guessed",
        ],
        None,
    ),
    (
        "huge_integer_coordinate_is_an_invalid_value",
        "draw_bezier[(0, 0, 0), (0, 0, 0.1), (0, 0, 0.2), (0, 0, " + "9" * 401 + ")]\n"
        "draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]",
        [D],
        ["stroke 1: point 4 z is 999999999999...(401 characters), not a finite number"],
        None,
    ),
    (
        "json_curves_with_control_points_and_xyz_objects",
        """```json
{"curves": [
  {"name": "front left leg", "control_points": [
    {"x": -0.5, "y": -0.5, "z": -1.0}, {"x": -0.5, "y": -0.5, "z": -0.5},
    {"x": -0.5, "y": -0.5, "z": 0.0}, {"x": -0.5, "y": -0.5, "z": 0.5}]},
  {"name": "back post", "control_points": [
    {"x": 0, "y": 0.5, "z": 0.5}, {"x": 0, "y": 0.5, "z": 0.7}, {"x": 0, "y": 0.5, "z": 0.8}, {"x": 0, "y": 0.5, "z": 1}]}
]}
```""",
        [A, D],
        [],
        ["front left leg", "back post"],
    ),
    (
        "json_beziers_with_p0_to_p3_keys",
        '{"beziers": [{"P0": [0.5, -0.5, -1], "P1": [0.5, -0.5, -0.5], "P2": [0.5, -0.5, 0], "P3": [0.5, -0.5, 0.5]},'
        ' {"p0": [0, 0.5, 0.5], "p1": [0, 0.5, 0.7], "p2": [0, 0.5, 0.8], "p3": [0, 0.5, 1]}]}',
        [B, D],
        [],
        None,
    ),
    (
        "json_sketch_key_with_controlPoints_and_ctrl",
        '{"sketch": [{"controlPoints": [[-0.5,-0.5,0.5],[-0.2,-0.6,0.55],[0.2,-0.6,0.55],[0.5,-0.5,0.5]]},'
        ' {"ctrl": [[0,0.5,0.5],[0,0.5,0.7],[0,0.5,0.8],[0,0.5,1]]}]}',
        [C, D],
        [],
        None,
    ),
    (
        "json_numbers_as_strings",
        '{"strokes": [{"points": [["-0.5", "-0.5", "-1.0"], ["-0.5", "-0.5", "-0.5"], ["-0.5", "-0.5", "0"],'
        ' ["-0.5", "-0.5", "0.5"]]}, {"points": [["0", "0.5", "0.5"], ["0", "0.5", "0.7"], ["0", "0.5", "zero"],'
        ' ["0", "0.5", "1"]]}]}',
        [A],
        ["stroke 2: point 3 z is 'zero', not a number"],
        None,
    ),
    (
        "tool_call_arguments_as_a_json_string",
        '{"tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "draw_sketch", "arguments": '
        '"{\\"strokes\\": [{\\"points\\": [[0.5, -0.5, -1], [0.5, -0.5, -0.5], [0.5, -0.5, 0], [0.5, -0.5, 0.5]]},'
        ' {\\"points\\": [[0, 0.5, 0.5], [0, 0.5, 0.7], [0, 0.5, 0.8], [0, 0.5, 1]]}]}"}}]}',
        [B, D],
        [],
        None,
    ),
    (
        "markdown_table_one_point_per_row",
        """Here are the control points:

| Stroke | Point | x | y | z |
|--------|-------|------|------|------|
| leg | P0 | -0.5 | -0.5 | -1.0 |
| leg | P1 | -0.5 | -0.5 | -0.5 |
| leg | P2 | -0.5 | -0.5 | 0.0 |
| leg | P3 | -0.5 | -0.5 | 0.5 |
| post | P0 | 0.0 | 0.5 | 0.5 |
| post | P1 | 0.0 | 0.5 | 0.7 |
| post | P2 | 0.0 | 0.5 | 0.8 |
| post | P3 | 0.0 | 0.5 | 1.0 |
""",
        [A, D],
        [],
        ["leg", "post"],
    ),
    (
        "markdown_table_one_stroke_per_row",
        """| # | Part | P0 | P1 | P2 | P3 |
|:-:|------|----|----|----|----|
| 1 | front right leg | (0.5, -0.5, -1) | (0.5, -0.5, -0.5) | (0.5, -0.5, 0) | (0.5, -0.5, 0.5) |
| 2 | apron | (-0.5, -0.5, 0.5) | (-0.2, -0.6, 0.55) | (0.2, -0.6, 0.55) | (0.5, -0.5, 0.5) |
""",
        [B, C],
        [],
        ["front right leg", "apron"],
    ),
    (
        "yaml_block_list",
        """```yaml
strokes:
  - id: leg
    label: front left leg
    points:
      - [-0.5, -0.5, -1.0]
      - [-0.5, -0.5, -0.5]
      - [-0.5, -0.5, 0.0]
      - [-0.5, -0.5, 0.5]
  - id: post
    points:
      - x: 0.0
        y: 0.5
        z: 0.5
      - {x: 0.0, y: 0.5, z: 0.7}
      - - 0.0
        - 0.5
        - 0.8
      - [0.0, 0.5, 1.0]
```""",
        [A, D],
        [],
        ["front left leg", ""],
    ),
    (
        "csv_rows_of_twelve_numbers",
        """```csv
label,x0,y0,z0,x1,y1,z1,x2,y2,z2,x3,y3,z3
front right leg,0.5,-0.5,-1,0.5,-0.5,-0.5,0.5,-0.5,0,0.5,-0.5,0.5
back post,0,0.5,0.5,0,0.5,0.7,0,0.5,0.8,0,0.5,1
```""",
        [B, D],
        [],
        ["front right leg", "back post"],
    ),
    (
        "bullet_points_under_stroke_headings",
        """Here is the chair, one curve at a time.

**Stroke 1: front left leg**
- P0: (-0.5, -0.5, -1.0)
- P1: (-0.5, -0.5, -0.5)
- P2: (-0.5, -0.5, 0.0)
- P3: (-0.5, -0.5, 0.5)

### Stroke 2 \u2014 back post
* **P0** = [0.0, 0.5, 0.5]
* **P1** = [0.0, 0.5, 0.7]
* **P2** = [0.0, 0.5, 0.8]
* **P3** = [0.0, 0.5, 1.0]
""",
        [A, D],
        [],
        ["Stroke 1: front left leg", "Stroke 2 \u2014 back post"],
    ),
    (
        "decimal_commas_with_semicolons",
        "draw_bezier[(0,5; -0,5; -1,0), (0,5; -0,5; -0,5), (0,5; -0,5; 0,0), (0,5; -0,5; 0,5)]\n"
        "draw_bezier[(0,0; 0,5; 0,5), (0,0; 0,5; 0,7), (0,0; 0,5; 0,8), (0,0; 0,5; 1,0)]",
        [B, D],
        [],
        None,
    ),
    (
        "decimal_commas_told_apart_from_separators_by_spacing",
        "draw_bezier[(0,5, -0,5, -1,0), (0,5, -0,5, -0,5), (0,5, -0,5, 0,0), (0,5, -0,5, 0,5)]\n"
        "draw_bezier[(0,0,0,5,0,5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]\n"
        "draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]",
        [B, D],
        ["stroke 2: point 1 has 6 coordinates, expected 3"],
        None,
    ),
    (
        "json_flat_lists_of_twelve_numbers",
        '{"strokes": [{"points": [0.5,-0.5,-1, 0.5,-0.5,-0.5, 0.5,-0.5,0, 0.5,-0.5,0.5]},'
        ' [0,0.5,0.5, 0,0.5,0.7, 0,0.5,0.8, 0,0.5,1], {"points": [0, 0.5, 0.5, 0, 0.5]}]}',
        [B, D],
        ["stroke 3: 5 values, expected 4 points of 3 numbers"],
        None,
    ),
    (
        "fractions_and_other_scripts_digits_are_reported",
        "draw_bezier[(0.5, \u00bd, 0, 0), (0, 0, 0.1), (0, 0, 0.2), (0, 0, 0.3)]\n"
        "draw_bezier[(\u0660.\u0665, 0, 0), (0, 0, 0.1), (0, 0, 0.2), (0, 0, 0.3)]\n"
        "draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]",
        [D],
        [
            "stroke 1: point 1 has '\u00bd' (U+00BD) next to a number: a number in a form that is not read "
            "(write decimals like 0.5). Stroke dropped rather than guessed",
            "stroke 2: point 1 has '\u0660' (U+0660) next to a number: a number in a form that is not read "
            "(write decimals like 0.5). Stroke dropped rather than guessed",
        ],
        None,
    ),
    (
        "several_readings_most_strokes_wins_and_is_named",
        """Plan: draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)]

```json
{"strokes": [{"points": [[-0.5,-0.5,-1],[-0.5,-0.5,-0.5],[-0.5,-0.5,0],[-0.5,-0.5,0.5]]},
             {"points": [[0,0.5,0.5],[0,0.5,0.7],[0,0.5,0.8],[0,0.5,1]]}]}
```""",
        [A, D],
        [
            "read as JSON (2 strokes), the reading with the most valid strokes; "
            "also found: draw_bezier actions (1), Python/JSON lists (1)"
        ],
        None,
    ),
]

CASES += [
    (
        "expression_in_a_point_is_reported_not_split_into_numbers",
        "draw_bezier[(1\u00d710\u207b\u00b9, 0, 0), (0, 0, 0.1), (0, 0, 0.2), (0, 0, 0.3)]\n"
        "draw_bezier[(1/2, 0, 0), (0, 0, 0.1), (0, 0, 0.2), (0, 0, 0.3)]\n"
        "draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]",
        [D],
        [
            "stroke 1: point 1 has '\u00d7' (U+00D7) next to a number: an expression, not a number. "
            "Stroke dropped rather than guessed",
            "stroke 2: point 1 has '/' (U+002F) next to a number: an expression, not a number. "
            "Stroke dropped rather than guessed",
        ],
        None,
    ),
    (
        "csv_columns_named_in_another_order",
        "x0,x1,x2,x3,y0,y1,y2,y3,z0,z1,z2,z3\n0.5,0.5,0.5,0.5,-0.5,-0.5,-0.5,-0.5,-1,-0.5,0,0.5\n",
        [B],
        [],
        None,
    ),
    (
        "markdown_table_point_column_holds_tuples",
        """| Curve | Point |
|---|---|
| seat front | (-0.5, -0.5, 0.5) |
| seat front | (-0.2, -0.6, 0.55) |
| seat front | (0.2, -0.6, 0.55) |
| seat front | (0.5, -0.5, 0.5) |
""",
        [C],
        [],
        ["seat front"],
    ),
    (
        "bullets_numbered_p1_to_p4",
        """1. Front right leg
   - P1 = (0.5, -0.5, -1)
   - P2 = (0.5, -0.5, -0.5)
   - P3 = (0.5, -0.5, 0)
   - P4 = (0.5, -0.5, 0.5)
   - P1 = (0.0, 0.5, 0.5)
   - P2 = (0.0, 0.5, 0.7)
   - P3 = (0.0, 0.5, 0.8)
   - P4 = (0.0, 0.5, 1.0)
""",
        [B, D],
        [],
        ["Front right leg", ""],
    ),
]

CASES += [
    (
        "json_top_level_list_of_stroke_objects",
        '```json\n[\n  {\n    "label": "leg",\n    "points": [[-0.5,-0.5,-1],[-0.5,-0.5,-0.5],[-0.5,-0.5,0],[-0.5,-0.5,0.5]]\n'
        '  },\n  {"label": "post", "points": [[0,0.5,0.5],[0,0.5,0.7],[0,0.5,0.8],[0,0.5,1]]}\n]\n```',
        [A, D],
        [],
        ["leg", "post"],
    ),
    (
        "markdown_table_control_points_in_one_cell",
        "| Stroke | Control points |\n|---|---|\n"
        "| leg | (-0.5, -0.5, -1), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.5) |\n"
        "| post | [(0,0.5,0.5), (0,0.5,0.7), (0,0.5,0.8), (0,0.5,1)] |\n",
        [A, D],
        [
            "read as markdown table (2 strokes), the reading with the most valid strokes; "
            "also found: Python/JSON lists (1)"
        ],
        ["leg", "post"],
    ),
    (
        "yaml_top_level_list_with_flow_points",
        "- label: leg\n  points: [[-0.5,-0.5,-1],[-0.5,-0.5,-0.5],[-0.5,-0.5,0],[-0.5,-0.5,0.5]]\n"
        "- label: post\n  points:\n    - (0, 0.5, 0.5)\n    - (0, 0.5, 0.7)\n    - (0, 0.5, 0.8)\n    - (0, 0.5, 1)\n",
        [A, D],
        [
            "read as YAML (2 strokes), the reading with the most valid strokes; also found: Python/JSON lists (1)"
        ],
        ["leg", "post"],
    ),
]

CASES += [
    (
        "bullets_with_bare_values_and_remarks",
        """Stroke: back post
P0: 0.0, 0.5, 0.5 (bottom)
P1: 0.0, 0.5, 0.7
P2: 0.0, 0.5, 0.8
P3: 0.0, 0.5, 1.0 (top)
""",
        [D],
        [],
        ["Stroke: back post"],
    ),
]
