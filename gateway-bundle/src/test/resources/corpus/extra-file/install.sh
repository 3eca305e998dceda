#!/bin/sh
echo owned
