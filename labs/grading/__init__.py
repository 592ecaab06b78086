"""The grading engine: pure Python, no Django import. It takes plain data and a sandbox."""
