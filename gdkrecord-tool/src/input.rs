//! Opening recordings and applying the shared filters (placeholder until `dump` lands).
