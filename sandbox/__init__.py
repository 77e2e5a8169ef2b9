"""Local, wire-level Salesforce, HubSpot and Slack sandboxes plus the synthetic portfolio.

Never imported by production code (bot/, connectors/, plays/, messages/, store/).
"""
