"""One page script per view; `streamlit_app.py` runs them through `st.navigation`."""
