"""Send-rate limiters for trend alerts: in process, or shared through Redis."""
