#!/usr/bin/env bun
import { main } from "./commands/main.ts";

void main();
