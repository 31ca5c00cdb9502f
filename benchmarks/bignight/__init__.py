"""``python -m benchmarks bignight``: big generated nights, decomposed on Ray vs one solve."""
