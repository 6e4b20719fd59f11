"""The persona in conversation: reading what a company asks for, and answering it as the customer would."""
