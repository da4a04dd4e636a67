"""Statement documents: PDF (fonts embedded, charts, verification QR), CSV and XLSX."""
