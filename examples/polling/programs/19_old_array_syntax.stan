// Random walk for popularity with house effects and pollster-specific noise.
data {
  int num_days;
  int num_pollsters;
  int num_polls;
  int<lower=1, upper=num_pollsters> pollster[num_polls];
  int<lower=1, upper=num_days> day[num_polls];
  real result[num_polls];
}
parameters {
  vector[num_days] popularity;
  real<lower=0> step_sd;
  vector[num_pollsters] house;
  vector<lower=0>[num_pollsters] poll_sd;
}
model {
  popularity[1] ~ normal(50, 10);
  for (d in 2:num_days)
    popularity[d] ~ normal(popularity[d - 1], step_sd);
  step_sd ~ normal(0, 1) T[0, ];
  house ~ normal(0, 3);
  poll_sd ~ normal(0, 5) T[0, ];
  for (n in 1:num_polls)
    result[n] ~ normal(popularity[day[n]] + house[pollster[n]], poll_sd[pollster[n]]);
}
