//! The world around one install: its platform and the service control that answers for it
//! (the host's systemd / mid.sh / sc.exe, or a lab's simulated service).
