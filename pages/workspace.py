"""Placeholder until its issue lands: says so on screen, computes nothing."""

import streamlit as st

st.title("Not built yet")
st.info("This page is under construction; no result is shown here yet.")
