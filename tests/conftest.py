"""Settings for every test directory."""

from hypothesis import settings

# Hypothesis fails an example slower than 200 ms by default: on a 2-core CI machine that also builds the lab
# image and runs two test workers, a slow example is the machine, not isc. Speed is measured in bench/.
settings.register_profile("isc", deadline=None)
settings.load_profile("isc")
