"""Pure optimisation: problem in, plan out. Never imports grpc or protobuf (a test enforces it)."""
