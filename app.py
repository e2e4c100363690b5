"""NoteLens web demo: `python app.py [--host 127.0.0.1] [--port 7860] [--auth user:pass]`."""
from notelens.webapp import main

if __name__ == "__main__":
    main()
