"""The isolated handler's subprocess entry (``python -m capstan_agent._child``): kept out of the
package's own imports so ``-m`` runs it fresh (no runpy double-import warning on stderr)."""
from capstan_agent.isolated import child_main

child_main()
