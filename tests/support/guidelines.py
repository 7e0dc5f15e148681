"""The rules file of the guidelines issue's example, shared by the tests that need one."""

# A code name that blocks and a results pattern that asks for review, as an organisation
# would write them; tests append the rules they need after these.
FALCON_AND_Q3 = """
rules:
  - name: falcon-codename
    kind: term
    terms: ["Project Falcon", "Falcon X2"]
    severity: block
    explanation: Falcon is unannounced.
    suggestion: Say "our next product".
  - name: q3-numbers
    kind: pattern
    pattern: "\\\\bQ3 (revenue|sales)\\\\b"
    severity: review
"""
