"""Crisis spike detection: seasonal baseline, count statistics, per-key tail calibration and the detector."""
