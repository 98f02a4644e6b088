"""Drawing: the agent (LLM replies -> candidate sketches), the pipeline (K candidates, finalised,
scored and ranked) and the prompt sets."""
