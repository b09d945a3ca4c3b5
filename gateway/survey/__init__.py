"""What both channels share: number routing, the lookup index, finding and starting an
interaction, waiting out duplicates, reading answers, recording outcomes in SDX."""
