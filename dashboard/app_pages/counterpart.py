import streamlit as st

st.title("counterpart")
st.info("This page is being written.")
