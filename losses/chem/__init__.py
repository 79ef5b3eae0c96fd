"""Chemistry losses: RDKit QED, Lipinski, SA score, AutoDock Vina docking against DOCKSTRING
targets, reference drugs, and the combined molecule loss."""
