"""Operations monitoring: the leaders' cockpit (大屏) and the center's monitoring page."""
