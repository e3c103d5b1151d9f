"""Turning exports from elsewhere (an HR roster, AI Watch) into dataset folders."""
