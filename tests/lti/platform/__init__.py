"""A small LTI 1.3 platform (an LMS stand-in) for testing Estaleiro as an LTI tool.

It runs in its own process on 127.0.0.1 (`python -m tests.lti.platform.server`), so the tool
under test (the live server on localhost) and the platform are two sites, as a real LMS that
frames the tool would be. The LTI work is done by the `lti1p3platform` library: the launch's
id_token, the access tokens and the deep-linking response's verification are its code; this
package keeps the state (users, courses, resource links, line items, scores) in memory and
adds the pages and the checks a real platform has around it. See server.py for the URLs.

Nothing here imports Django at package import: the server configures its own settings.
"""
