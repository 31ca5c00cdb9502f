"""Vehicle routing for sanitation and maintenance crews (OR-Tools first, MILP fallback)."""
