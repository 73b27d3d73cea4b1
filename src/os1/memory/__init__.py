"""What os1 keeps about its user and itself: profile, persona and the transcript."""
