"""Operations: production process set, health and readiness probes, metrics, the doctor."""
