"""The web app (Gradio)."""
