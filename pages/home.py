"""Placeholder until the foundation lands."""

import streamlit as st

st.title("BCMA CAR-T evidence synthesis")
