"""Operating the graph: the job, the weekly schedule and failure alerts."""
