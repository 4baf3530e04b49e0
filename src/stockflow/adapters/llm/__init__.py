"""Language-model clients: any OpenAI-compatible chat-completions server (OpenAI, Ollama, vLLM,
llama.cpp's server), for the intel context's `Writer` port."""
