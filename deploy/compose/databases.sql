-- Written by deploy/generate.py from services/registry.py: one database per service and the gateway's.
CREATE DATABASE servis_devices;
CREATE DATABASE servis_forms;
CREATE DATABASE servis_notify;
CREATE DATABASE servis_knowledge;
CREATE DATABASE servis_contracts;
CREATE DATABASE servis_portal;
CREATE DATABASE servis_gateway;
