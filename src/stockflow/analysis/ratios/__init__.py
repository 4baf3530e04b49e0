"""Financial ratios: each with its formula and the input values (and their sources) it used."""
