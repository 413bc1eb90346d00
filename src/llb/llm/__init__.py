"""The LLM side: the prompt, the OpenAI-compatible backend with its reply cache, reply parsing, and
the candidate programs a run starts from (LLM replies or a folder of programs)."""
