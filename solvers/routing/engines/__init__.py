"""The routing engines: each turns a RoutingProblem into a RoutingPlan its own way."""
