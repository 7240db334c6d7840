"""Custom Streamlit components of the app (plain HTML/JS in this folder, nothing fetched)."""
