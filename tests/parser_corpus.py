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

CASES = [
    (
        "paper_actions_in_curves_tags",
        """<curves>
draw_bezier[(-0.5, -0.5, -1.0), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0.0), (-0.5, -0.5, 0.5)]
draw_bezier[(0.5, -0.5, -1.0), (0.5, -0.5, -0.5), (0.5, -0.5, 0.0), (0.5, -0.5, 0.5)]
</curves>""",
        [A, B], [], None,
    ),
    (
        "preamble_then_numbered_actions_with_comments",
        """Sure! Here's a simple table leg and apron, drawn as cubic Bezier curves in the [-1, 1] cube.

1. draw_bezier[(-0.5, -0.5, -1), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.5)]  # front left leg
2. draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)]  # front right leg
3. draw_bezier[(-0.5, -0.5, 0.5), (-0.2, -0.6, 0.55), (0.2, -0.6, 0.55), (0.5, -0.5, 0.5)]  # apron

Let me know if you want more detail!""",
        [A, B, C], [], ["front left leg", "front right leg", "apron"],
    ),
    (
        "square_point_brackets_and_tight_spacing",
        "draw_bezier[[-0.5,-0.5,-1],[-0.5,-0.5,-0.5],[-0.5,-0.5,0],[-0.5,-0.5,0.5]]\n"
        "draw_bezier[ [0.5 , -0.5 , -1] , [0.5,-0.5,-0.5] ,[0.5,-0.5,0],[0.5,-0.5,0.5] ]",
        [A, B], [], None,
    ),
    (
        "double_wrapped_paper_tuple",
        "draw_bezier[((-0.5, -0.5, -1.0), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0.0), (-0.5, -0.5, 0.5))]\n"
        "draw_bezier[((0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0))]",
        [A, D], [], None,
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
        [A, B], [], None,
    ),
    (
        "markdown_fence_with_actions",
        """Here is the sketch:

```
draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]  // back post
```
""",
        [D], [], ["back post"],
    ),
    (
        "crlf_and_tabs",
        "draw_bezier[(-0.5,\t-0.5,\t-1),\t(-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.5)]\r\n"
        "\tdraw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)]\r\n",
        [A, B], [], None,
    ),
    (
        "exponent_notation_and_plus_signs",
        "draw_bezier[(-5e-1, -5E-1, -1e0), (-0.5, -0.5, -5.0e-1), (-.5, -0.5, 0.), (-0.5, -0.5, +0.5)]",
        [A], [], None,
    ),
    (
        "python_list_assigned_with_trailing_commas",
        """```python
curves = [
    [(-0.5, -0.5, -1.0), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0.0), (-0.5, -0.5, 0.5)],  # leg
    [(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0),],  # post
]
```""",
        [A, D], [], ["leg", "post"],
    ),
    (
        "json_list_of_lists",
        "[[[-0.5,-0.5,-1],[-0.5,-0.5,-0.5],[-0.5,-0.5,0],[-0.5,-0.5,0.5]],"
        "[[0.5,-0.5,-1],[0.5,-0.5,-0.5],[0.5,-0.5,0],[0.5,-0.5,0.5]]]",
        [A, B], [], None,
    ),
    (
        "canonical_json",
        '{"format": "threedraw.sketch/1", "prompt": "a table", "strokes": ['
        '{"id": "s1", "points": [[-0.5,-0.5,-1.0],[-0.5,-0.5,-0.5],[-0.5,-0.5,0.0],[-0.5,-0.5,0.5]], "label": "leg"},'
        '{"id": "s2", "points": [[-0.5,-0.5,0.5],[-0.2,-0.6,0.55],[0.2,-0.6,0.55],[0.5,-0.5,0.5]]}]}',
        [A, C], [], ["leg", ""],
    ),
    (
        "canonical_json_in_fence_after_prose",
        """I drew one stroke.
```json
{"format": "threedraw.sketch/1", "prompt": "a post", "strokes": [
  {"id": "p", "points": [[0, 0.5, 0.5], [0, 0.5, 0.7], [0, 0.5, 0.8], [0, 0.5, 1]]}
]}
```""",
        [D], [], None,
    ),
    (
        "schema_json_without_format",
        '{"strokes": [{"points": [[0.5,-0.5,-1],[0.5,-0.5,-0.5],[0.5,-0.5,0],[0.5,-0.5,0.5]]}]}',
        [B], [], None,
    ),
    (
        "json_strokes_as_bare_arrays",
        '{"strokes": [[[0.5,-0.5,-1],[0.5,-0.5,-0.5],[0.5,-0.5,0],[0.5,-0.5,0.5]], '
        '[[0,0.5,0.5],[0,0.5,0.7],[0,0.5,0.8],[0,0.5,1]]]}',
        [B, D], [], None,
    ),
    (
        "three_points_dropped",
        "draw_bezier[(-0.5, -0.5, -1), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.5)]\n"
        "draw_bezier[(0, 0, 0), (0.1, 0.1, 0.1), (0.2, 0.2, 0.2)]\n"
        "draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)]",
        [A, B], ["stroke 2: 3 control points, expected 4"], None,
    ),
    (
        "five_points_dropped",
        "draw_bezier[(0, 0, 0), (0.1, 0.1, 0.1), (0.2, 0.2, 0.2), (0.3, 0.3, 0.3), (0.4, 0.4, 0.4)]\n"
        "draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]",
        [D], ["stroke 1: 5 control points, expected 4"], None,
    ),
    (
        "nan_dropped",
        "draw_bezier[(0, 0, 0), (0.1, NaN, 0.1), (0.2, 0.2, 0.2), (0.3, 0.3, 0.3)]\n"
        "draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]",
        [D], ["stroke 1: point 2 y is NaN, not a finite number"], None,
    ),
    (
        "infinity_and_overflow_dropped",
        "draw_bezier[(0, 0, 0), (0.1, 0.1, 0.1), (inf, 0.2, 0.2), (0.3, 0.3, 0.3)]\n"
        "draw_bezier[(0, 0, 0), (0.1, 0.1, 0.1), (0.2, 0.2, 0.2), (0.3, 0.3, 1e999)]\n"
        "draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)]",
        [B],
        ["stroke 1: point 3 x is inf, not a finite number", "stroke 2: point 4 z is 1e999, not a finite number"],
        None,
    ),
    (
        "non_numeric_placeholder_dropped",
        "draw_bezier[(x, y, z), (0.1, 0.1, 0.1), (0.2, 0.2, 0.2), (0.3, 0.3, 0.3)]\n"
        "draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)]",
        [B], ["stroke 1: point 1 x is 'x', not a number"], None,
    ),
    (
        "two_coordinates_dropped",
        "draw_bezier[(0, 0), (0.1, 0.1, 0.1), (0.2, 0.2, 0.2), (0.3, 0.3, 0.3)]\n"
        "draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)]",
        [B], ["stroke 1: point 1 has 2 coordinates, expected 3"], None,
    ),
    (
        "outside_cube_clamped",
        "draw_bezier[(-0.5, -0.5, -1.4), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.5)]",
        [A], ["stroke 1: coordinates outside the cube [-1, 1] were clamped"], None,
    ),
    (
        "beyond_ten_dropped",
        "draw_bezier[(0, 0, 0), (0.1, 0.1, 0.1), (0.2, 0.2, 0.2), (12, 0.3, 0.3)]\n"
        "draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)]",
        [B], ["stroke 1: point 4 x=12 is beyond 10; stroke dropped"], None,
    ),
    (
        "truncated_mid_number",
        "draw_bezier[(-0.5, -0.5, -1), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.5)]\n"
        "draw_bezier[(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.",
        [A], ["stroke 2: incomplete (the response was cut off)"], None,
    ),
    (
        "truncated_inside_curves_tag",
        "<curves>\ndraw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]\ndraw_bezier[(0.1, 0.2",
        [D], ["stroke 2: incomplete (the response was cut off)"], None,
    ),
    (
        "truncated_json_list",
        "[[[-0.5,-0.5,-1],[-0.5,-0.5,-0.5],[-0.5,-0.5,0],[-0.5,-0.5,0.5]],\n [[0.5,-0.5,-1],[0.5,-0.5,-0.5],[0.5,-0.",
        [A], ["stroke 2: incomplete (the response was cut off)"], None,
    ),
    (
        "truncated_canonical_json",
        '{"format": "threedraw.sketch/1", "prompt": "a table", "strokes": ['
        '{"id": "s1", "points": [[-0.5,-0.5,-1.0],[-0.5,-0.5,-0.5],[-0.5,-0.5,0.0],[-0.5,-0.5,0.5]]},'
        '{"id": "s2", "points": [[-0.5,-0.5,0.5],[-0.2,-0.6,0.5',
        [A], ["stroke 2: incomplete (the response was cut off)"], None,
    ),
    (
        "mismatched_bracket_types",
        "draw_bezier[(-0.5, -0.5, -1], [-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.5))",
        [A], [], None,
    ),
    (
        "label_with_apostrophe_and_arrow",
        "draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)] -> chair's back post\n",
        [D], [], ["chair's back post"],
    ),
    (
        "prose_mentions_function_and_points",
        """I'll use draw_bezier for each part. The top is at (0, 0, 1) and the base near (0, 0, -1).

draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]""",
        [D], [], None,
    ),
    (
        "template_echo_then_real_strokes",
        """Format: draw_bezier[(P0, P1, P2, P3)]
draw_bezier[(-0.5, -0.5, -1), (-0.5, -0.5, -0.5), (-0.5, -0.5, 0), (-0.5, -0.5, 0.5)]""",
        [A], ["stroke 1: 4 values, expected 4 points of 3 numbers"], None,
    ),
    (
        "over_256_strokes_truncated",
        "\n".join(["draw_bezier[(0.0, 0.5, 0.5), (0.0, 0.5, 0.7), (0.0, 0.5, 0.8), (0.0, 0.5, 1.0)]"] * 260),
        [D] * 256, ["260 strokes, only the first 256 were kept"], None,
    ),
    (
        "python_dict_single_quotes",
        "sketch = {'strokes': [{'points': [(0.5, -0.5, -1), (0.5, -0.5, -0.5), (0.5, -0.5, 0), (0.5, -0.5, 0.5)], "
        "'label': 'leg'}]}",
        [B], [], ["leg"],
    ),
    (
        "lone_stroke_without_list",
        "The single curve: [(-0.5, -0.5, 0.5), (-0.2, -0.6, 0.55), (0.2, -0.6, 0.55), (0.5, -0.5, 0.5)]",
        [C], [], None,
    ),
    (
        "unclosed_thinking_means_nothing",
        "<thinking>Let me think about draw_bezier[(0, 0, 0), (0.1, 0.1, 0.1), (0.2, 0.2, 0.2), (0.3, 0.3, 0.3)] and",
        None, ["no stroke found"], None,
    ),
    (
        "prose_only_refusal",
        "I'm sorry, but I can't draw that. Maybe try a chair (with 4 legs) at size 1.5?",
        None, ["no stroke found"], None,
    ),
    (
        "all_strokes_bad",
        "draw_bezier[(0, 0, 0), (1, 1, 1)]\ndraw_bezier[(0, 0, 0), (nan, 1, 1), (0, 0, 1), (1, 0, 0)]",
        None, ["no valid stroke", "stroke 1: 2 control points, expected 4", "stroke 2: point 2 x is nan"], None,
    ),
    (
        "empty_response",
        "   \n\t ",
        None, ["the response is empty"], None,
    ),
]
