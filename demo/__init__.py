import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # must be set before gradio is imported
# Gradio's queue keeps statistics of its last GRADIO_ANALYTICS_MAX_EVENTS events (10,000 by default)
# and rebuilds a pandas summary of them after every GRADIO_ANALYTICS_CACHE_FREQUENCY events (1): under
# load that made each request slower and the process larger as the record filled. Keep fewer, summarise
# less often.
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100")
