"""Language knowledge in one place: romanisation, Chinese names and figures, English figures,
currencies and the bilingual dictionary (CC-CEDICT). Each fact lives in exactly one module here;
detectors import from this package and never keep their own copies."""
