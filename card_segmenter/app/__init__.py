"""The Streamlit app's pages; `streamlit_app.py` at the repository root runs them."""
