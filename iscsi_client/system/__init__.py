"""System adapters: the only code in isc that touches the host (processes, files, sysfs, udev)."""
